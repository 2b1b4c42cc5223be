"""Which attempts are limited, by which key, and how much: the policy the settings configure.

Keys name what is counted (an account, an address, both, a session, an email) by a digest, so
the storage holds no usernames, addresses or emails, and a key has a fixed length however long
what the client sent."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from application.common.client import Client
from domain.attempts import Limit

# 160 bits of SHA-256: collisions between the subjects of one limit are out of reach.
_DIGEST_CHARACTERS = 40
_IN_FLIGHT = "in_flight"
# An in-flight tally never refuses: it only counts.
_NEVER_REACHED = 2**31 - 1
# An attempt stays in flight for its hashing slot (at most the wait below) and one hash: an
# in-flight tally kept this much longer after each attempt outlives them all. One that a dead
# process left behind is forgotten that long after the key's latest attempt.
_IN_FLIGHT_MARGIN = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One limit applied to one subject."""

    limit: Limit
    key: str


def attempt(limit: Limit, *subject: str) -> Attempt:
    joined = "\x1f".join(subject).encode(errors="surrogatepass")
    digest = hashlib.sha256(joined).hexdigest()[:_DIGEST_CHARACTERS]
    return Attempt(limit, f"{limit.name}:{digest}")


@dataclass(frozen=True, slots=True)
class SigninAttempts:
    account_address: Attempt
    """Backs off, and a success clears it."""
    address: Attempt
    account: Attempt
    """From every address at once: credential stuffing. Higher than the account+address limit,
    because whoever reaches it locks the real user out too (see README, "Guessing and abuse")."""

    @property
    def all(self) -> tuple[Attempt, Attempt, Attempt]:
        return self.account_address, self.address, self.account


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    enabled: bool
    """False: nothing is counted and nothing refused (RATE_LIMITS=off)."""
    signin_account_address: Limit
    signin_address: Limit
    signin_account: Limit
    signup_address: Limit
    refresh_session: Limit
    refresh_address: Limit
    reset_email: Limit
    reset_address: Limit
    resend_user: Limit
    resend_user_hour: Limit
    passkey_options_address: Limit
    in_flight_wait: timedelta
    """How long an attempt refused only because of attempts still in flight waits for their
    outcomes before it is answered 429 (the hashing queue's timeout)."""

    def in_flight(self, attempt: Attempt) -> Attempt:
        """The tally of `attempt`'s key's attempts still in flight (see domain/attempts.py)."""
        kept = self.in_flight_wait + _IN_FLIGHT_MARGIN
        limit = Limit(_IN_FLIGHT, _NEVER_REACHED, kept, kept=kept)
        return Attempt(limit, f"{_IN_FLIGHT}:{attempt.key}")

    def signin(self, username: str, client: Client) -> SigninAttempts:
        # Counted whether or not the account exists, so a 429 tells nothing about which do.
        account = username.strip().lower()
        return SigninAttempts(
            account_address=attempt(self.signin_account_address, account, client.address),
            address=attempt(self.signin_address, client.address),
            account=attempt(self.signin_account, account),
        )

    def passkey_signin(self, client: Client) -> tuple[Attempt, ...]:
        """A passkey cannot be guessed, but failed passkey signins still count against the
        address with failed password signins: a client that sends nothing but failures is
        slowed down the same way."""
        return (attempt(self.signin_address, client.address),)

    def passkey_options(self, client: Client) -> tuple[Attempt, ...]:
        """Every passkey signin challenge asked for, each a row kept until it expires: an
        address asking for them faster than anyone signs in is refused before it writes one."""
        return (attempt(self.passkey_options_address, client.address),)

    def signup(self, client: Client) -> tuple[Attempt, ...]:
        return (attempt(self.signup_address, client.address),)

    def refresh(self, client: Client) -> tuple[Attempt, ...]:
        return (attempt(self.refresh_address, client.address),)

    def refresh_of_session(self, session_id: str) -> tuple[Attempt, ...]:
        return (attempt(self.refresh_session, session_id),)

    def password_reset(self, email: str, client: Client) -> tuple[Attempt, ...]:
        """For the password-reset request use case: per email and per address."""
        return (
            attempt(self.reset_email, email.strip().lower()),
            attempt(self.reset_address, client.address),
        )

    def verification_resend(self, user_id: int) -> tuple[Attempt, ...]:
        """For the resend of a verification mail: per user, a short limit and a long one."""
        return (
            attempt(self.resend_user, str(user_id)),
            attempt(self.resend_user_hour, str(user_id)),
        )
