"""The client's address: the TCP peer, unless that peer is one of the configured trusted proxies;
then the right-most address in X-Forwarded-For that is not a trusted proxy. Left of that, every
entry is whatever the client chose to send.

An entry may carry a port, as some balancers write it: `1.2.3.4:5678` and `[2001:db8::1]:5678`
are `1.2.3.4` and `2001:db8::1`, and an address is always given in its canonical form, so that
one client is one throttle bucket however its proxy spells it. An entry that is no address
stands for a client nobody can name: it is `unknown`, one shared placeholder. Never the trusted
proxy's own address (that would give every such request the proxy's standing, /metrics
included), and never the entry's text (a client able to choose it would choose a fresh throttle
bucket on every request)."""

import ipaddress
from collections.abc import Sequence
from typing import Any

from litestar import Request

from application.common.client import UNKNOWN_CLIENT, Client
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
    peer = request.client.host if request.client else UNKNOWN_CLIENT.address
    if not trusted_proxies or not address_within(peer, trusted_proxies):
        return peer
    # An empty entry (an empty header, a stray comma) names no hop at all.
    hops = [
        hop
        for header in request.headers.getall("x-forwarded-for", [])
        for hop in header.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        address = forwarded_address(hop)
        if address is None:
            return UNKNOWN_CLIENT.address
        if not any(address in network for network in trusted_proxies):
            return str(address)
    return peer


def forwarded_address(entry: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An X-Forwarded-For entry's address, without its port: `1.2.3.4`, `1.2.3.4:5678`,
    `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:5678`; None for anything else."""
    entry = entry.strip()
    if entry.startswith("["):
        host, bracket, rest = entry[1:].partition("]")
        if not bracket or (rest and not (rest.startswith(":") and _is_port(rest[1:]))):
            return None
        return _ipv6(host)
    try:
        return ipaddress.ip_address(entry)
    except ValueError:
        pass
    host, colon, port = entry.partition(":")
    if not colon or not _is_port(port):
        return None
    try:
        return ipaddress.IPv4Address(host)
    except ValueError:
        return None


def _ipv6(text: str) -> ipaddress.IPv6Address | None:
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        return None


def _is_port(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 5 and int(text) <= 65535


def address_within(address: str, networks: Sequence[Network]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)
