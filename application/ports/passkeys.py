"""Passkeys: the credentials users register, the single-use challenges of the ceremonies, and the
relying party that checks what an authenticator signed (CBOR, COSE keys and signatures stay
behind it)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from domain.passkey import NewPasskey, Passkey, PasskeyChallenge

Credential = Mapping[str, Any]
"""A PublicKeyCredential as the browser's `toJSON()` gives it (binary fields in base64url); the
use cases pass it on unread."""
Options = dict[str, Any]
"""WebAuthn options as JSON (binary fields in base64url), for `navigator.credentials`."""


class PasskeyAlreadyRegistered(Exception):
    """The credential id is registered already (to this user or another)."""


class PasskeyStore(Protocol):
    async def add(self, passkey: NewPasskey) -> Passkey:
        """Raises PasskeyAlreadyRegistered when the credential id is taken, as the storage's
        unique index decides."""
        ...

    async def of_user(self, user_id: int) -> list[Passkey]:
        """Oldest first."""
        ...

    async def count_of_user(self, user_id: int) -> int:
        """How many passkeys the user has: whether they hold a second factor, for one."""
        ...

    async def find(self, credential_id: bytes) -> Passkey | None: ...

    async def record_use(self, passkey_id: int, sign_count: int, at: datetime) -> None: ...

    async def remove(self, user_id: int, passkey_id: int) -> bool:
        """Deletes the passkey if it is the user's; whether it did."""
        ...


class PasskeyChallengeStore(Protocol):
    """Kept in the shared storage, so that the options one worker or server gave are honoured
    by any other."""

    async def add(self, challenge: PasskeyChallenge) -> None: ...

    async def consume(self, digest: str) -> PasskeyChallenge | None:
        """Deletes the challenge and returns what it was; None (and nothing changed) when it is
        unknown or a concurrent use deleted it first: of two uses of one challenge, one wins."""
        ...

    async def purge(self, now: datetime) -> int:
        """Deletes expired challenges; how many went."""
        ...


class CredentialRejected(Exception):
    """What an authenticator sent does not verify: malformed, another ceremony's, another
    origin's or relying party's, or badly signed. The reason is for logs, never for clients."""


@dataclass(frozen=True, slots=True)
class PasskeyHolder:
    user_id: int
    username: str


@dataclass(frozen=True, slots=True)
class AttestedCredential:
    """A new credential, verified."""

    credential_id: bytes
    public_key: bytes
    sign_count: int
    transports: tuple[str, ...]
    user_verified: bool


@dataclass(frozen=True, slots=True)
class Assertion:
    """A signin's signature, verified against the stored public key."""

    sign_count: int
    user_verified: bool
    user_handle: bytes | None


class RelyingParty(Protocol):
    def creation_options(
        self, holder: PasskeyHolder, challenge: bytes, exclude: Sequence[bytes]
    ) -> Options:
        """For `navigator.credentials.create`: a discoverable credential (resident key
        required), user verification preferred, none of `exclude` again."""
        ...

    def request_options(self, challenge: bytes) -> Options:
        """For `navigator.credentials.get`, with no credentials listed: the authenticator
        offers the passkeys it holds for this relying party."""
        ...

    def challenge_of(self, credential: Credential) -> bytes | None:
        """The challenge the credential's client data claims to answer, unverified; None when
        it has none that can be read."""
        ...

    def credential_id_of(self, credential: Credential) -> bytes | None:
        """The credential's id, unverified; None when it has none that can be read."""
        ...

    def verify_registration(self, credential: Credential, challenge: bytes) -> AttestedCredential:
        """Raises CredentialRejected unless the credential answers this challenge, from an
        allowed origin, for this relying party."""
        ...

    def verify_authentication(
        self, credential: Credential, challenge: bytes, public_key: bytes
    ) -> Assertion:
        """Raises CredentialRejected unless the assertion answers this challenge, from an
        allowed origin, for this relying party, signed by `public_key`. The signature counter is
        returned, not judged: that rule is the domain's."""
        ...
