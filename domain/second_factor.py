"""The second factor's rules: TOTP time steps and the codes accepted in them, replay, recovery
codes, and the two-step signin.

TOTP (RFC 6238) cuts time into 30-second steps counted from the Unix epoch; a code belongs to one
step. A code of the step before or after the current one is accepted too (a phone's clock a little
off, a code typed as its step ends). A user's factor remembers the last step a code was accepted
in, and only a later step is accepted after it: so a code works once, and so do the codes of the
steps before it. That step only moves forward, by a conditional write the storage decides (see
`SecondFactorStore.use_step`), so of any number of requests presenting one code at once, on any
worker or server, exactly one wins.

Recovery codes are random, shown once, and stored as keyed digests only; each is used by a
conditional delete, so it too works once.
"""

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum, StrEnum

STEP_SECONDS = 30
TOTP_DIGITS = 6
ACCEPTED_DRIFT = 1
"""Steps accepted either side of the current one."""
NEVER_USED = -1
"""The last used step of a factor no code was accepted for yet."""

RECOVERY_CODE_COUNT = 10
# No 0/o, 1/i/l: nothing a person copying a code from paper can misread. 31 symbols, 12 of them:
# 59 bits a code, far past what an online guesser under the signin limits gets through, and
# enough that a fast digest of it (not a slow password hash) keeps it safe at rest.
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RECOVERY_CODE_LENGTH = 12
_RECOVERY_GROUP = 4
_IGNORED_IN_CODES = str.maketrans("", "", "- \t")

MFA_TOKEN_LIFETIME = timedelta(minutes=5)
"""How long the password step of a signin waits for its second factor."""


class SecondFactorMethod(StrEnum):
    TOTP = "totp"
    RECOVERY_CODE = "recovery_code"


class SigninMethod(StrEnum):
    """What a signin proved, as `signin.success` records it."""

    PASSWORD = "password"  # noqa: S105 - a method's name
    PASSWORD_TOTP = "password+totp"  # noqa: S105
    PASSWORD_RECOVERY_CODE = "password+recovery_code"  # noqa: S105
    PASSKEY = "passkey"

    @classmethod
    def after(cls, method: SecondFactorMethod) -> "SigninMethod":
        if method is SecondFactorMethod.TOTP:
            return cls.PASSWORD_TOTP
        return cls.PASSWORD_RECOVERY_CODE


class SigninState(Enum):
    """A signin's steps: the password, then, for an account with a second factor, a code."""

    AWAITING_PASSWORD = "awaiting_password"  # noqa: S105
    AWAITING_SECOND_FACTOR = "awaiting_second_factor"
    SIGNED_IN = "signed_in"


class SigninStepRefused(Exception):
    """A step that does not follow from the signin's state (a code before any password)."""


def next_signin_state(state: SigninState, *, second_factor: bool) -> SigninState:
    """Where a signin goes once the step of `state` succeeded: after the password straight to a
    session only for an account without a second factor; after the code, always."""
    if state is SigninState.AWAITING_PASSWORD:
        return SigninState.AWAITING_SECOND_FACTOR if second_factor else SigninState.SIGNED_IN
    if state is SigninState.AWAITING_SECOND_FACTOR:
        return SigninState.SIGNED_IN
    raise SigninStepRefused(state.value)


def time_step(moment: datetime) -> int:
    """The TOTP step `moment` falls in."""
    return int(moment.timestamp()) // STEP_SECONDS


def step_start(step: int) -> int:
    """The Unix time the step starts at: what a TOTP library computes a step's code from."""
    return step * STEP_SECONDS


def candidate_steps(moment: datetime, last_used_step: int) -> list[int]:
    """The steps whose code is accepted at `moment`: the current one and its neighbours, less
    every step not after the last one used (replay)."""
    current = time_step(moment)
    window = range(current - ACCEPTED_DRIFT, current + ACCEPTED_DRIFT + 1)
    return [step for step in window if step > last_used_step]


def looks_like_totp(code: str) -> bool:
    return len(code) == TOTP_DIGITS and code.isascii() and code.isdigit()


def matching_step(code: str, codes_by_step: Mapping[int, str]) -> int | None:
    """The step whose code `code` is, compared in constant time; the earliest if several are
    (then the later ones stay usable). None when none is."""
    presented = code.strip().replace(" ", "")
    if not looks_like_totp(presented):
        return None
    matches = [
        step
        for step, expected in sorted(codes_by_step.items())
        if hmac.compare_digest(presented.encode(), expected.encode())
    ]
    return matches[0] if matches else None


@dataclass(frozen=True, slots=True)
class TotpFactor:
    """A user's TOTP factor as stored: its secret sealed (see `SecretSealer`), never in clear."""

    user_id: int
    sealed_secret: str = field(repr=False)
    created_at: datetime
    confirmed: bool = False
    """Pending until a first code proves the user's authenticator has the secret."""
    last_used_step: int = NEVER_USED


@dataclass(frozen=True, slots=True)
class RecoveryCode:
    """A recovery code as the user is shown it, once: groups of four, dash-separated."""

    value: str = field(repr=False)

    @classmethod
    def generate(cls) -> "RecoveryCode":
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        groups = (raw[i : i + _RECOVERY_GROUP] for i in range(0, len(raw), _RECOVERY_GROUP))
        return cls("-".join(groups))

    @property
    def normalized(self) -> str:
        normalized = normalize_recovery_code(self.value)
        if normalized is None:  # pragma: no cover - generate() makes only well-formed codes
            raise ValueError("malformed recovery code")
        return normalized


def new_recovery_codes() -> list[RecoveryCode]:
    codes: list[RecoveryCode] = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = RecoveryCode.generate()
        if code not in codes:
            codes.append(code)
    return codes


def normalize_recovery_code(text: str) -> str | None:
    """The code as it is digested: case, dashes and spaces ignored. None for text that cannot be
    a recovery code, which then costs no look-up."""
    normalized = text.translate(_IGNORED_IN_CODES).lower()
    if len(normalized) != RECOVERY_CODE_LENGTH or not set(normalized) <= set(RECOVERY_ALPHABET):
        return None
    return normalized
