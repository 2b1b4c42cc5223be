"""The one place that turns a refusal into an HTTP answer: always JSON with a `message`."""

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import ExceptionHandlersMap

from application.common.errors import (
    AccessTokenExpired,
    AccessTokenInvalid,
    AccessTokenMissing,
    AccountDisabled,
    AdministratorSecondFactorRequired,
    ApplicationError,
    CurrentPasswordIncorrect,
    EmailNotVerified,
    InvalidCredentials,
    KeysNotUsed,
    OneTimeTokenInvalid,
    PasskeyNotFound,
    PasskeyRegistrationFailed,
    PasskeySigninFailed,
    PasswordTooCommon,
    PrivilegedRoleNotAllowed,
    RefreshTokenExpired,
    RefreshTokenMissing,
    RefreshTokenReused,
    RefreshTokenUnknown,
    RoleRequired,
    SecondFactorAlreadyEnabled,
    SecondFactorCodeInvalid,
    SecondFactorCodeRequired,
    SecondFactorSigninExpired,
    SessionNotFound,
    SigninCodeInvalid,
    StorageConflict,
    StorageUnavailable,
    TemporarilyUnavailable,
    TooManyAttempts,
    UnauthorizedClient,
    UserNotFound,
)
from application.common.outcomes import UnavailableCause
from application.ports.metrics import Metrics
from domain.errors import (
    DomainError,
    EmailAlreadyExists,
    InvalidField,
    LastAdministrator,
    UnknownRole,
    UsernameAlreadyExists,
)
from domain.signing_keys import NextKeyWaiting, OnlySigningKey, SigningKeyNotFound

logger = logging.getLogger("authgate")

# Most of these strings are the original's, which the existing clients show or test for: keep
# them word for word.
_ANSWERS: Mapping[type[Exception], tuple[int, Callable[[Any], str]]] = {
    InvalidField: (HTTP_400_BAD_REQUEST, lambda e: f"Failed! The {e.field} {e.reason}"),
    UnknownRole: (HTTP_400_BAD_REQUEST, lambda e: f"Failed! Role does not exist = {e.name}"),
    UsernameAlreadyExists: (HTTP_400_BAD_REQUEST, lambda _: "Failed! Username is already in use!"),
    EmailAlreadyExists: (HTTP_400_BAD_REQUEST, lambda _: "Failed! Email is already in use!"),
    PasswordTooCommon: (HTTP_400_BAD_REQUEST, lambda _: "Failed! This password is too common."),
    InvalidCredentials: (HTTP_401_UNAUTHORIZED, lambda _: "Invalid username or password."),
    TooManyAttempts: (
        HTTP_429_TOO_MANY_REQUESTS,
        lambda e: f"Too many attempts. Try again in {e.retry_after} seconds.",
    ),
    AccessTokenMissing: (HTTP_403_FORBIDDEN, lambda _: "No token provided!"),
    AccessTokenExpired: (
        HTTP_401_UNAUTHORIZED,
        lambda _: "Unauthorized! Access Token was expired!",
    ),
    AccessTokenInvalid: (HTTP_401_UNAUTHORIZED, lambda _: "Unauthorized!"),
    RoleRequired: (HTTP_403_FORBIDDEN, lambda e: f"Require {e.role.name.capitalize()} Role!"),
    PrivilegedRoleNotAllowed: (
        HTTP_403_FORBIDDEN,
        lambda _: "Failed! Only an administrator may assign the moderator or admin role.",
    ),
    RefreshTokenMissing: (HTTP_403_FORBIDDEN, lambda _: "Refresh Token is required!"),
    RefreshTokenUnknown: (HTTP_403_FORBIDDEN, lambda _: "Refresh token is not in database!"),
    RefreshTokenExpired: (
        HTTP_403_FORBIDDEN,
        lambda _: "Refresh token was expired. Please make a new signin request",
    ),
    RefreshTokenReused: (
        HTTP_403_FORBIDDEN,
        lambda _: (
            "Refresh token was already used; the session is revoked. "
            "Please make a new signin request"
        ),
    ),
    # One message for reset and verification tokens alike, as the contract words it.
    OneTimeTokenInvalid: (HTTP_400_BAD_REQUEST, lambda _: "Reset token is invalid or expired."),
    EmailNotVerified: (HTTP_403_FORBIDDEN, lambda _: "Email is not verified."),
    AccountDisabled: (HTTP_403_FORBIDDEN, lambda _: "Account is disabled."),
    CurrentPasswordIncorrect: (HTTP_400_BAD_REQUEST, lambda _: "Current password is incorrect."),
    UserNotFound: (HTTP_404_NOT_FOUND, lambda _: "User not found."),
    SessionNotFound: (HTTP_404_NOT_FOUND, lambda _: "Session not found."),
    PasskeySigninFailed: (HTTP_401_UNAUTHORIZED, lambda _: "Passkey sign-in failed."),
    PasskeyRegistrationFailed: (HTTP_400_BAD_REQUEST, lambda _: "Passkey registration failed."),
    PasskeyNotFound: (HTTP_404_NOT_FOUND, lambda _: "Passkey not found."),
    LastAdministrator: (
        HTTP_409_CONFLICT,
        lambda _: "The last administrator cannot be removed.",
    ),
    UnauthorizedClient: (HTTP_401_UNAUTHORIZED, lambda _: "Unauthorized client."),
    # Refusals of the key commands, which only the command line reaches for now.
    KeysNotUsed: (
        HTTP_409_CONFLICT,
        lambda _: "JWT_ALGORITHM is HS256: tokens are signed with JWT_SECRET, no keys are kept.",
    ),
    NextKeyWaiting: (HTTP_409_CONFLICT, lambda e: f"Key {e.kid} is already waiting to sign."),
    OnlySigningKey: (HTTP_409_CONFLICT, lambda e: f"Key {e.kid} is the only signing key."),
    SigningKeyNotFound: (HTTP_404_NOT_FOUND, lambda e: f"No published key {e.kid}."),
    SecondFactorAlreadyEnabled: (
        HTTP_409_CONFLICT,
        lambda _: "Two-factor authentication is already enabled.",
    ),
    SecondFactorCodeRequired: (HTTP_400_BAD_REQUEST, lambda _: "Two-factor code required."),
    SecondFactorCodeInvalid: (HTTP_400_BAD_REQUEST, lambda _: "Invalid code."),
    # Found before its base class above: the error's own class comes first in its MRO.
    SigninCodeInvalid: (HTTP_401_UNAUTHORIZED, lambda _: "Invalid code."),
    SecondFactorSigninExpired: (HTTP_401_UNAUTHORIZED, lambda _: "Sign in again."),
    AdministratorSecondFactorRequired: (
        HTTP_403_FORBIDDEN,
        lambda _: "Two-factor authentication required for administrators.",
    ),
    TemporarilyUnavailable: (
        HTTP_503_SERVICE_UNAVAILABLE,
        lambda _: "Service temporarily unavailable. Please try again.",
    ),
}
# Seconds a client is asked to wait after a 503: long enough for a retry to find a database that
# came back or a hashing slot that came free, short enough not to strand a user.
RETRY_AFTER_SECONDS = 2
# An outage fails every request the same way: one line each, with the traceback at most once a
# minute for each kind of failure.
_TRACEBACK_INTERVAL = 60.0
_last_traceback: dict[str, float] = {}


def message_response(
    status_code: int, message: str, **extra: object
) -> Response[dict[str, object]]:
    return Response(
        {**extra, "message": message}, status_code=status_code, media_type=MediaType.JSON
    )


def refusal_to_response(
    request: Request[Any, Any, Any], error: Exception
) -> Response[dict[str, object]]:
    for kind in type(error).__mro__:
        answer = _ANSWERS.get(kind)
        if answer is not None:
            status_code, message = answer
            if isinstance(error, InvalidCredentials):
                # compat: the clients look for accessToken and clear what they hold.
                return message_response(status_code, message(error), accessToken=None)
            if isinstance(error, UnauthorizedClient):
                response = message_response(status_code, message(error))
                response.headers["WWW-Authenticate"] = 'Basic realm="authgate introspection"'
                return response
            if isinstance(error, TooManyAttempts):
                response = message_response(status_code, message(error))
                response.headers["Retry-After"] = str(error.retry_after)
                return response
            if isinstance(error, TemporarilyUnavailable):
                _log_unavailable(error)
                _count_unavailable(request, error)
                response = message_response(status_code, message(error))
                response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
                return response
            return message_response(status_code, message(error))
    return unexpected_error_to_response(request, error)


def _log_unavailable(error: TemporarilyUnavailable) -> None:
    now = time.monotonic()
    with_traceback = now - _last_traceback.get(error.kind, -_TRACEBACK_INTERVAL) >= (
        _TRACEBACK_INTERVAL
    )
    if with_traceback:
        _last_traceback[error.kind] = now
    logger.warning(
        "service unavailable (%s): %s",
        error.kind,
        error.detail or "-",
        exc_info=error if with_traceback else None,
    )


def _count_unavailable(request: Request[Any, Any, Any], error: TemporarilyUnavailable) -> None:
    metrics: Metrics | None = request.app.state.get("metrics")
    if metrics is not None:  # None only in an app whose lifespan has not started
        metrics.unavailable(error.kind)


def validation_to_response(
    _: Request[Any, Any, Any], error: ValidationException
) -> Response[dict[str, object]]:
    problems = error.extra if isinstance(error.extra, list) else []
    details = [_problem(p) for p in problems if isinstance(p, dict) and p.get("message")]
    message = "; ".join(details) if details else str(error.detail)
    return message_response(HTTP_400_BAD_REQUEST, f"Invalid request body: {message}")


def _problem(problem: dict[str, Any]) -> str:
    # msgspec names a missing field in its message, and a mistyped one only in `key`.
    key = problem.get("key")
    if key and key != "data":
        return f"{key}: {problem['message']}"
    return str(problem["message"])


def http_exception_to_response(
    _: Request[Any, Any, Any], error: HTTPException
) -> Response[dict[str, object]]:
    response = message_response(error.status_code, str(error.detail))
    if error.headers:
        response.headers.update(error.headers)
    return response


def conflict_to_response(
    request: Request[Any, Any, Any], error: StorageConflict
) -> Response[dict[str, object]]:
    """`Transactions` runs a unit of work again after a conflict; one raised by a read outside any
    (on Galera: a causal read its node could not serve in time, 1205) means storage cannot
    answer now, and is answered so: 503, never 500."""
    unavailable = StorageUnavailable(UnavailableCause.CONFLICT, str(error))
    unavailable.__cause__ = error  # the log's traceback shows where the conflict came from
    return refusal_to_response(request, unavailable)


def unexpected_error_to_response(
    request: Request[Any, Any, Any], error: Exception
) -> Response[dict[str, object]]:
    logger.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return message_response(HTTP_500_INTERNAL_SERVER_ERROR, "Internal server error.")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ApplicationError: refusal_to_response,
    DomainError: refusal_to_response,
    StorageConflict: conflict_to_response,
    ValidationException: validation_to_response,
    HTTPException: http_exception_to_response,
    Exception: unexpected_error_to_response,
}
