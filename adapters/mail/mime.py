from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from application.common.errors import MailNotSent
from application.ports.mail import MailMessage


def mime_message(message: MailMessage, sender: str) -> EmailMessage:
    """The message as RFC 5322 text: the plain-text part first, the HTML part as its alternative.
    Raises MailNotSent (permanent) when its `To` would name anyone but the one stored address."""
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = _single_recipient(message.to)
    _check_recipient(mime, message.to)
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(localtime=False)
    mime["Message-ID"] = make_msgid(domain=_domain_of(sender))
    mime.set_content(message.text, cte=_transfer_encoding(message.text))
    mime.add_alternative(message.html, subtype="html", cte=_transfer_encoding(message.html))
    return mime


def _single_recipient(to: str) -> Address:
    # Email refuses such addresses at signup; this is the last line for anything that reaches a
    # mailer otherwise (a row stored before the rule, a future caller): the header is built from
    # one parsed address, never pasted in as text a reader would parse again.
    try:
        address = Address(addr_spec=to)
    except ValueError as error:  # the email package's header defects are ValueErrors too
        raise MailNotSent(f"not a single mail address: {error}", permanent=True) from None
    if address.addr_spec != to:
        raise MailNotSent("the address reads as another in a mail header", permanent=True)
    return address


def _check_recipient(mime: EmailMessage, to: str) -> None:
    addresses: tuple[Address, ...] = mime["To"].addresses
    if [address.addr_spec for address in addresses] != [to]:
        raise MailNotSent("the To header reads as another recipient", permanent=True)


def _transfer_encoding(content: str) -> str:
    # ASCII goes as it is, so the link in a saved .eml or a raw mail can be read and clicked;
    # quoted-printable (which wraps long lines and spells "=" as "=3D") only when needed.
    return "7bit" if content.isascii() else "quoted-printable"


def _domain_of(sender: str) -> str:
    mime = EmailMessage()
    mime["From"] = sender
    addresses: tuple[Address, ...] = mime["From"].addresses
    return addresses[0].domain if addresses and addresses[0].domain else "localhost"
