"""Signing keys and introspection: how access tokens are signed, what they claim, how long the
published key set may be cached, how often keys rotate, and who may introspect."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Self

from domain.signing_keys import KeySchedule
from entrypoints.settings.declarations import SettingsError, read, setting

ALGORITHMS = ("ES256", "HS256")
MIN_CLIENT_SECRET_CHARACTERS = 16


@dataclass(frozen=True, slots=True)
class KeySettings:
    jwt_algorithm: str = setting("ES256", "JWT_ALGORITHM")
    """ES256: published keys, other services verify offline. HS256: JWT_SECRET signs, as before,
    and nothing is published."""
    jwt_issuer: str = setting("http://localhost:8080", "JWT_ISSUER")
    jwt_audience: str = setting("authgate", "JWT_AUDIENCE")
    jwks_max_age: int = setting(600, "JWKS_MAX_AGE", low=0, high=7 * 86400)
    """Seconds a verifier may cache the key set; a new key is published this long before it
    signs."""
    key_rotation_days: int = setting(30, "KEY_ROTATION_DAYS", low=0, high=3650)
    """0: keys rotate only when an operator asks."""
    introspection_clients: tuple[str, ...] = setting(
        (), "INTROSPECTION_CLIENTS", secret=True, parsed=True
    )
    """`name:secret` pairs."""

    @property
    def publishes_keys(self) -> bool:
        return self.jwt_algorithm == "ES256"

    @property
    def clients(self) -> dict[str, str]:
        return {
            name: secret
            for name, _, secret in (pair.partition(":") for pair in self.introspection_clients)
        }

    def schedule(self, token_lifetime: timedelta) -> KeySchedule:
        every = timedelta(days=self.key_rotation_days) if self.key_rotation_days else None
        return KeySchedule(timedelta(seconds=self.jwks_max_age), token_lifetime, every)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        keys = read(cls, env)
        algorithm = keys.jwt_algorithm.strip().upper()
        if algorithm not in ALGORITHMS:
            raise SettingsError(f"JWT_ALGORITHM must be ES256 or HS256, not {keys.jwt_algorithm!r}")
        for pair in keys.introspection_clients:
            name, _, secret = pair.partition(":")
            if not name.strip() or len(secret) < MIN_CLIENT_SECRET_CHARACTERS:
                raise SettingsError(
                    "INTROSPECTION_CLIENTS must be name:secret pairs separated by commas, each "
                    f"secret at least {MIN_CLIENT_SECRET_CHARACTERS} characters"
                )
        if not keys.jwt_issuer.strip() or not keys.jwt_audience.strip():
            raise SettingsError("JWT_ISSUER and JWT_AUDIENCE must not be blank")
        return replace(keys, jwt_algorithm=algorithm)
