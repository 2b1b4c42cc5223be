"""The client's address: the TCP peer, unless that peer is one of the configured trusted proxies;
then the right-most address in X-Forwarded-For that is not a trusted proxy. Left of that, every
entry is whatever the client chose to send."""

import ipaddress
from collections.abc import Sequence
from typing import Any

from litestar import Request

from application.common.client import Client
from entrypoints.http.tokens import presented_access_token
from entrypoints.logs import note_user

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# A user agent is shown to people and stored: long enough to tell browsers apart, no longer.
MAX_USER_AGENT = 256


class RequestCaller:
    """The request's caller (`application.ports.caller.Caller`): the client, with the trusted
    proxies applied, and the presented access token, each read off the request only when a use
    case first asks."""

    __slots__ = ("_client", "_request", "_trusted_proxies")

    is_operator = False

    def __init__(self, request: Request[Any, Any, Any], trusted_proxies: Sequence[Network]) -> None:
        self._request = request
        self._trusted_proxies = trusted_proxies
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = client_of(self._request, self._trusted_proxies)
        return self._client

    @property
    def access_token(self) -> str | None:
        return presented_access_token(self._request)

    def identified(self, user_id: int) -> None:
        note_user(user_id)


def client_of(request: Request[Any, Any, Any], trusted_proxies: Sequence[Network]) -> Client:
    user_agent = request.headers.get("user-agent", "")[:MAX_USER_AGENT]
    return Client(address=client_address(request, trusted_proxies), user_agent=user_agent)


def client_address(request: Request[Any, Any, Any], trusted_proxies: Sequence[Network]) -> str:
    peer = request.client.host if request.client else "unknown"
    if not trusted_proxies or not address_within(peer, trusted_proxies):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getall("x-forwarded-for", [])
        for hop in header.split(",")
    ]
    for hop in reversed(hops):
        if not address_within(hop, trusted_proxies):
            return hop if _is_address(hop) else peer
    return peer


def address_within(address: str, networks: Sequence[Network]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
