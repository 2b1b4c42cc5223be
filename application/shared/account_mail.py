"""The words of the mails that carry one-time tokens: a plain-text part that holds the link as it
is, and a short HTML part."""

from datetime import timedelta
from html import escape

from application.ports.mail import MailMessage
from domain.one_time_token import TokenPurpose
from domain.user import User

_SUBJECTS = {
    TokenPurpose.PASSWORD_RESET: "Reset your password",
    TokenPurpose.EMAIL_VERIFICATION: "Verify your email address",
}
_ASKS = {
    TokenPurpose.PASSWORD_RESET: (
        "Someone, hopefully you, asked to reset the password of your account.",
        "To choose a new password, open this link",
        "If you did not ask for this, ignore this mail: your password stays as it is.",
    ),
    TokenPurpose.EMAIL_VERIFICATION: (
        "Please confirm that this address belongs to your account.",
        "To verify it, open this link",
        "If you did not sign up, ignore this mail.",
    ),
}


def compose_token_mail(
    user: User, purpose: TokenPurpose, link: str, lifetime: timedelta
) -> MailMessage:
    greeting = f"Hello {user.username.value},"
    why, action, otherwise = _ASKS[purpose]
    within = f"within {_duration(lifetime)}; it works once."
    text = f"{greeting}\n\n{why}\n{action} {within}\n\n{link}\n\n{otherwise}\n"
    html = (
        f"<p>{escape(greeting)}</p><p>{escape(why)}</p>"
        f'<p><a href="{escape(link)}">{escape(action)}</a> {escape(within)}</p>'
        f"<p>{escape(otherwise)}</p>"
    )
    return MailMessage(to=user.email.value, subject=_SUBJECTS[purpose], text=text, html=html)


def _duration(lifetime: timedelta) -> str:
    seconds = int(lifetime.total_seconds())
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"
