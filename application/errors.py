"""Why a use case refused a request. The HTTP layer maps each class to a status and a message."""

from domain.roles import Role


class ApplicationError(Exception):
    """Base of every refusal a use case can answer with."""


class InvalidCredentials(ApplicationError):
    """Unknown user or wrong password: deliberately indistinguishable."""


class AccessTokenMissing(ApplicationError):
    pass


class AccessTokenExpired(ApplicationError):
    pass


class AccessTokenInvalid(ApplicationError):
    """Bad signature, algorithm or claims; or its user or session no longer exists."""


class RoleRequired(ApplicationError):
    def __init__(self, role: Role) -> None:
        super().__init__(f"requires the {role.role_name} role")
        self.role = role


class PrivilegedRoleNotAllowed(ApplicationError):
    """Only an administrator may hand out the moderator or admin role at signup."""


class RefreshTokenMissing(ApplicationError):
    pass


class RefreshTokenUnknown(ApplicationError):
    pass


class RefreshTokenExpired(ApplicationError):
    pass


class RefreshTokenReused(ApplicationError):
    """A retired refresh token came back: the session it belonged to is now revoked."""


class RefreshContended(ApplicationError):
    """The same refresh token was being rotated by other requests in every attempt."""
