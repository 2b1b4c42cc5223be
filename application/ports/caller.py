"""Who is at the other end of the current request, as the entry point that took it knows."""

from typing import Protocol

from application.common.client import Client


class Caller(Protocol):
    """One per request scope, given by the entry point as the container's context: the HTTP
    layer reads it off the request (trusted proxies applied), the command line is the operator.
    Nothing here is checked yet: `IdentifyCaller` asks the token and the database."""

    @property
    def client(self) -> Client: ...

    @property
    def access_token(self) -> str | None:
        """The access token presented with the request, if any."""
        ...

    @property
    def is_operator(self) -> bool:
        """The command line, where access to the machine and its database is the authority."""
        ...

    def identified(self, user_id: int) -> None:
        """Told once the token and the database have named the signed-in user: the entry point
        may record whom the request acted for (the HTTP access line does)."""
        ...
