"""The audit trail: an append-only record of what happened to accounts, for administrators.

An event says what happened (its type), to whom (the subject), by whom (the actor: the subject
itself, an administrator, or nobody for an operator at the command line), from where, and a small
detail. A secret never goes in: the detail refuses keys that name one, and the use cases put in
only role names, counts and reasons.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from domain.errors import InvalidField

DetailValue = str | int | bool | list[str]
_SECRET_WORDS = ("password", "token", "hash", "secret")


class AuditEventType(Enum):
    SIGNUP = "signup"
    SIGNIN_SUCCESS = "signin.success"
    SIGNIN_FAILURE = "signin.failure"
    SIGNIN_THROTTLED = "signin.throttled"
    REFRESH_REUSE = "refresh.reuse"
    SIGNOUT = "signout"
    PASSWORD_CHANGE = "password.change"  # noqa: S105 - an event name, not a secret
    PASSWORD_RESET = "password.reset"  # noqa: S105 - an event name, not a secret
    ROLES_CHANGE = "roles.change"
    USER_DISABLE = "user.disable"
    USER_ENABLE = "user.enable"
    USER_DELETE = "user.delete"
    SESSIONS_REVOKE = "sessions.revoke"
    MFA_ENABLE = "mfa.enable"
    MFA_DISABLE = "mfa.disable"
    MFA_FAILURE = "mfa.failure"
    MFA_RECOVERY_CODE = "mfa.recovery_code"
    MFA_RESET = "mfa.reset"
    PASSKEY_ADD = "passkey.add"
    PASSKEY_REMOVE = "passkey.remove"
    PASSKEY_CLONED = "passkey.cloned"

    @classmethod
    def from_name(cls, name: str) -> "AuditEventType":
        for kind in cls:
            if kind.value == name:
                return kind
        raise InvalidField("type", f"must be one of: {', '.join(k.value for k in cls)}.")


@dataclass(frozen=True, slots=True)
class AuditEvent:
    type: AuditEventType
    at: datetime
    user_id: int | None
    """The subject; None when there is none (a failed signin of an unknown name)."""
    actor_id: int | None
    """Who did it; None for an operator at the command line or an anonymous client."""
    ip: str
    user_agent: str
    detail: Mapping[str, DetailValue] = field(default_factory=dict)
    id: int | None = None
    """Given by the trail when stored; increases with time."""

    def __post_init__(self) -> None:
        for key in self.detail:
            if any(word in key.lower() for word in _SECRET_WORDS):
                raise ValueError(f"an audit event's detail must not hold a secret ({key!r})")
