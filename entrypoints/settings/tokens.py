"""Tokens and sessions: the signing secret, the lifetimes, refresh rotation, and the password
hashing that signin and signup wait on."""

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Self

from adapters.jwt_tokens import MIN_SECRET_BYTES
from adapters.local_files import private_directory, private_file
from entrypoints.settings.declarations import SettingsError, read, setting

_SECRET_FILE = "jwt-secret"  # noqa: S105 - a file name, not a secret


@dataclass(frozen=True, slots=True)
class TokenSettings:
    jwt_secret: bytes = setting(b"", "JWT_SECRET", secret=True, parsed=False)
    """Empty: generated once and kept under DATA_DIR."""
    access_token_ttl: int = setting(3600, "ACCESS_TOKEN_TTL", low=1)
    refresh_token_ttl: int = setting(86400, "REFRESH_TOKEN_TTL", low=1)
    session_ttl: int = setting(7 * 86400, "SESSION_TTL", low=1)
    refresh_reuse_grace: int = setting(5, "REFRESH_REUSE_GRACE", low=0, high=300)
    refresh_rotation: bool = setting(True, "REFRESH_ROTATION")
    require_verified_email: bool = setting(False, "REQUIRE_VERIFIED_EMAIL")
    """Off by default: the original's clients know nothing of verification."""
    bcrypt_cost: int = setting(12, "BCRYPT_COST", low=4, high=31)
    bcrypt_threads: int = setting(0, "BCRYPT_THREADS", low=0)
    """0: one per core in each worker; the server's workers share one hashing place a core."""
    hash_queue_timeout: float = setting(5.0, "HASH_QUEUE_TIMEOUT", low=0.01, high=60)
    """Long enough for a queue of some 15 cost-12 hashes per thread: a burst of signins waits, a
    flood is refused."""

    @property
    def access_token_lifetime(self) -> timedelta:
        return timedelta(seconds=self.access_token_ttl)

    @classmethod
    def from_env(cls, env: Mapping[str, str], data_dir: Path) -> Self:
        return replace(read(cls, env), jwt_secret=_jwt_secret(env.get("JWT_SECRET"), data_dir))


def _jwt_secret(configured: str | None, data_dir: Path) -> bytes:
    if configured:
        secret = configured.encode()
        if len(secret) < MIN_SECRET_BYTES:
            raise SettingsError(f"JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long")
        return secret
    return _stored_secret(data_dir / _SECRET_FILE)


def _stored_secret(path: Path) -> bytes:
    """The secret generated on first start, kept beside the local data so that restarts and
    several workers agree. Written to a private temporary file and linked into place, so that
    workers starting together never read a half-written or second secret."""
    if not path.exists():
        private_directory(path.parent)
        candidate = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        with os.fdopen(private_file(candidate), "w") as file:
            file.write(secrets.token_urlsafe(48))
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    secret = path.read_text().strip().encode()
    if len(secret) < MIN_SECRET_BYTES:
        raise SettingsError(f"{path} holds a JWT secret under {MIN_SECRET_BYTES} bytes")
    return secret
