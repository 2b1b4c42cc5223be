"""Passkeys: the WebAuthn relying party, and the page origins allowed to use it."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Self

from entrypoints.settings.declarations import SettingsError, read, setting


@dataclass(frozen=True, slots=True)
class PasskeySettings:
    webauthn_rp_id: str = setting("localhost", "WEBAUTHN_RP_ID")
    """The domain passkeys are bound to: the pages' host or a parent domain of it."""
    webauthn_rp_name: str = setting("Authgate", "WEBAUTHN_RP_NAME")
    webauthn_origins: tuple[str, ...] = setting(("http://localhost:8081",), "WEBAUTHN_ORIGINS")
    """The origins (scheme, host, port) of the pages that create and use passkeys."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        passkeys = read(cls, env)
        origins = tuple(origin.rstrip("/") for origin in passkeys.webauthn_origins)
        if not origins or any("://" not in origin for origin in origins):
            raise SettingsError("WEBAUTHN_ORIGINS must list origins such as https://example.com")
        return replace(passkeys, webauthn_origins=origins)
