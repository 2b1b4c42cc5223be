from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from application.ports.mail import MailMessage


def mime_message(message: MailMessage, sender: str) -> EmailMessage:
    """The message as RFC 5322 text: the plain-text part first, the HTML part as its alternative."""
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(localtime=False)
    mime["Message-ID"] = make_msgid(domain=_domain_of(sender))
    mime.set_content(message.text, cte=_transfer_encoding(message.text))
    mime.add_alternative(message.html, subtype="html", cte=_transfer_encoding(message.html))
    return mime


def _transfer_encoding(content: str) -> str:
    # ASCII goes as it is, so the link in a saved .eml or a raw mail can be read and clicked;
    # quoted-printable (which wraps long lines and spells "=" as "=3D") only when needed.
    return "7bit" if content.isascii() else "quoted-printable"


def _domain_of(sender: str) -> str:
    mime = EmailMessage()
    mime["From"] = sender
    addresses: tuple[Address, ...] = mime["From"].addresses
    return addresses[0].domain if addresses and addresses[0].domain else "localhost"
