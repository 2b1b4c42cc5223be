"""Headers on every answer, errors and preflights included: the browser must never sniff a JSON
error into a script or a page, and, once configured, must keep to HTTPS. The outermost layer
(entrypoints/http/observe.py) adds them to each answer's start, with its request id.

Every answer under the paths of tokens, personal and administrative data also says
`Cache-Control: no-store`, refusals included: decided here by the path alone, so that no
controller, error handler or wrapper can forget it, at the cost of one prefix test a request."""

from collections.abc import Sequence

Header = tuple[bytes, bytes]

PRIVATE_PREFIXES = ("/api/auth/", "/api/user/", "/api/admin/")
NO_STORE: Header = (b"cache-control", b"no-store")


class AnswerHeaders:
    """The headers added to an answer, by its request's path."""

    __slots__ = ("everywhere", "private")

    def __init__(self, headers: Sequence[Header]) -> None:
        self.everywhere = tuple(headers)
        self.private = (*self.everywhere, NO_STORE)

    def of(self, path: str) -> tuple[Header, ...]:
        return self.private if path.startswith(PRIVATE_PREFIXES) else self.everywhere


def security_headers(hsts_max_age: int) -> AnswerHeaders:
    headers = [(b"x-content-type-options", b"nosniff")]
    if hsts_max_age:
        headers.append((b"strict-transport-security", b"max-age=%d" % hsts_max_age))
    return AnswerHeaders(headers)
