"""Second factors: where they are kept, and the algorithms the use cases lean on for them."""

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.second_factor import TotpFactor


class SecondFactorStore(Protocol):
    """Each user's TOTP factor (at most one, pending or confirmed) and recovery codes. Every
    single use is decided by the storage, in a conditional write: the caller's unit of work holds
    it until commit."""

    async def find(self, user_id: int) -> TotpFactor | None: ...

    async def enrol(self, factor: TotpFactor) -> bool:
        """Stores a pending factor in place of the user's pending one, if any. False (and
        nothing changed) when the user has a confirmed factor."""
        ...

    async def confirm(self, user_id: int, step: int, at: datetime) -> bool:
        """Confirms the user's pending factor, its code of `step` being the first accepted.
        False when there is no pending factor, or `step` is not after its last used one."""
        ...

    async def use_step(self, user_id: int, step: int) -> bool:
        """Records that a code of `step` was accepted for the user's confirmed factor, if `step`
        is after the last one used. False otherwise: a replay, or a concurrent use of the same
        code that got there first."""
        ...

    async def remove(self, user_id: int) -> bool:
        """Deletes the user's factor, pending or confirmed, with every recovery code. Whether
        there was a confirmed one."""
        ...

    async def replace_recovery_codes(self, user_id: int, digests: Sequence[str]) -> None:
        """The user's recovery codes become these (digests); the older ones stop working."""
        ...

    async def use_recovery_code(self, user_id: int, digest: str) -> bool:
        """Deletes the user's recovery code of this digest. False when it has none: unknown,
        used, or used by a concurrent request that got there first."""
        ...

    async def recovery_codes_left(self, user_id: int) -> int: ...


class TotpAlgorithm(Protocol):
    """RFC 6238: SHA-1, 6 digits, 30-second steps."""

    def new_secret(self) -> str:
        """160 random bits, base32."""
        ...

    def code_at(self, secret: str, step: int) -> str: ...

    def provisioning_uri(self, secret: str, account: str, issuer: str) -> str:
        """The `otpauth://totp/...` URI an authenticator app scans."""
        ...


class QrCodes(Protocol):
    def svg(self, text: str) -> str:
        """A QR code of `text`, as an SVG document."""
        ...


class SecretSealer(Protocol):
    """Keeps what a copy of the database must not yield: TOTP secrets sealed (encrypted and
    authenticated), recovery codes as keyed digests, under keys derived from the service's
    secret."""

    def seal(self, secret: str, user_id: int) -> str: ...

    def unseal(self, sealed: str, user_id: int) -> str:
        """Raises ValueError when `sealed` was not sealed for this user with this key."""
        ...

    def recovery_code_digest(self, normalized_code: str, user_id: int) -> str: ...
