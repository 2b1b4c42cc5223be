"""Why a use case refused a request. The HTTP layer maps each class to a status and a message."""

from application.common.outcomes import UnavailableCause
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


class OneTimeTokenInvalid(ApplicationError):
    """A mailed token that is unknown, used, expired, or issued for a password or address that
    has changed since: deliberately indistinguishable."""


class EmailNotVerified(ApplicationError):
    """The right password, but signin requires a verified address and this one is not."""


class PasswordTooCommon(ApplicationError):
    """The password is on the list of commonly used passwords."""


class TooManyAttempts(ApplicationError):
    """A rate limit holds: answered 429, asking the client to wait `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class TemporarilyUnavailable(ApplicationError):
    """The service cannot answer in time now, but may in a moment: answered 503 with Retry-After.
    `kind` says why, in a word fit for a log line or a metric label."""

    def __init__(self, kind: UnavailableCause, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


class StorageUnavailable(TemporarilyUnavailable):
    """The database refused, timed out, went away, or kept conflicting past every retry. Adapters
    raise it in place of their drivers' errors."""


class HashingUnavailable(TemporarilyUnavailable):
    """No password-hashing slot came free within its deadline."""


class StorageConflict(Exception):
    """A transient refusal (deadlock, lock wait timeout, certification failure, busy file): the
    unit of work is rolled back and may simply run again. `Transactions` does that; it never
    reaches a client."""


class MailNotSent(Exception):
    """The mail system did not take a message. `permanent` when trying again cannot help (the
    server refused the recipient); otherwise delivery is retried later."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class AccountDisabled(ApplicationError):
    """The right password for an account an administrator disabled."""


class CurrentPasswordIncorrect(ApplicationError):
    pass


class UserNotFound(ApplicationError):
    pass


class SessionNotFound(ApplicationError):
    """Unknown, ended, or another user's: deliberately indistinguishable."""


class KeysNotUsed(ApplicationError):
    """JWT_ALGORITHM is HS256: tokens are signed with JWT_SECRET, no key is kept or published."""


class UnauthorizedClient(ApplicationError):
    """Introspection without the credentials of a client in INTROSPECTION_CLIENTS."""


class SecondFactorAlreadyEnabled(ApplicationError):
    pass


class SecondFactorCodeRequired(ApplicationError):
    """A change that needs the second factor came without a code."""


class SecondFactorCodeInvalid(ApplicationError):
    """A TOTP or recovery code that is wrong, already used, or not the user's; or no second
    factor to check it against. Deliberately indistinguishable."""


class SigninCodeInvalid(SecondFactorCodeInvalid):
    """As SecondFactorCodeInvalid, at the second step of a signin (answered 401 there)."""


class SecondFactorSigninExpired(ApplicationError):
    """An mfaToken that is unknown, used, expired, or issued before the password changed."""


class AdministratorSecondFactorRequired(ApplicationError):
    """REQUIRE_ADMIN_MFA: an administrator without a second factor may not administer."""


class PasskeySigninFailed(ApplicationError):
    """Wrong origin or relying party, unknown credential, a used or expired challenge, a bad
    signature, a counter gone backwards: deliberately indistinguishable."""


class PasskeyRegistrationFailed(ApplicationError):
    """The new credential did not verify, or answered no live registration challenge of the
    caller's, or is registered already."""


class PasskeyNotFound(ApplicationError):
    """Unknown, or another user's: deliberately indistinguishable."""
