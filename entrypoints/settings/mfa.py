"""The second factor: what authenticator apps show, and whether administrators must have one."""

from dataclasses import dataclass

from entrypoints.settings.declarations import setting


@dataclass(frozen=True, slots=True)
class MfaSettings:
    totp_issuer: str = setting("Authgate", "TOTP_ISSUER")
    """The name authenticator apps list the codes under."""
    require_admin_mfa: bool = setting(False, "REQUIRE_ADMIN_MFA")
    """Administrators without a second factor get 403 on /api/admin/* and on role-granting
    signup."""
