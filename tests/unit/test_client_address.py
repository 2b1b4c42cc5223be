"""Which address a request is counted under: the TCP peer, or, from a trusted proxy, the
right-most X-Forwarded-For entry that is not one of the trusted proxies."""

import ipaddress
from typing import Any

import pytest
from litestar import Request

from entrypoints.http.client import MAX_USER_AGENT, client_address, client_of

PROXIES = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8::/32")]


def request(peer: str | None, *forwarded: str, user_agent: str = "") -> Request[Any, Any, Any]:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    if user_agent:
        headers.append((b"user-agent", user_agent.encode()))
    scope: Any = {
        "type": "http",
        "method": "POST",
        "path": "/api/auth/signin",
        "query_string": b"",
        "headers": headers,
        "client": (peer, 50000) if peer else None,
    }
    return Request(scope)


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_address(request("198.51.100.7", "203.0.113.1"), []) == "198.51.100.7"


def test_a_forged_header_from_an_untrusted_peer_changes_nothing() -> None:
    forged = request("198.51.100.7", "10.0.0.1", "203.0.113.1, 10.0.0.2")

    assert client_address(forged, PROXIES) == "198.51.100.7"


def test_a_trusted_proxy_is_believed() -> None:
    assert client_address(request("10.1.2.3", "203.0.113.1"), PROXIES) == "203.0.113.1"


def test_the_right_most_untrusted_entry_wins_over_what_the_client_prepended() -> None:
    chained = request("10.1.2.3", "192.0.2.66, 203.0.113.1, 10.9.9.9")

    assert client_address(chained, PROXIES) == "203.0.113.1"


def test_several_headers_read_as_one_list() -> None:
    chained = request("10.1.2.3", "192.0.2.66", "203.0.113.1, 10.9.9.9")

    assert client_address(chained, PROXIES) == "203.0.113.1"


def test_ipv6_proxies_and_clients() -> None:
    assert client_address(request("2001:db8::1", "2001:db8::2, 2a00::5"), PROXIES) == "2a00::5"


@pytest.mark.parametrize("forwarded", [(), ("10.0.0.5, 10.0.0.6",), ("",)])
def test_with_only_proxies_in_the_chain_the_peer_is_the_client(
    forwarded: tuple[str, ...],
) -> None:
    assert client_address(request("10.1.2.3", *forwarded), PROXIES) == "10.1.2.3"


def test_garbage_where_the_client_should_be_counts_as_the_proxy() -> None:
    # Never a string the client chose: that would give it a fresh count on every request.
    assert client_address(request("10.1.2.3", "not-an-address"), PROXIES) == "10.1.2.3"


def test_no_peer_at_all_is_one_unknown_client() -> None:
    assert client_address(request(None, "203.0.113.1"), PROXIES) == "unknown"


def test_the_user_agent_is_kept_short() -> None:
    client = client_of(request("198.51.100.7", user_agent="x" * 1000), [])

    assert client.address == "198.51.100.7"
    assert client.user_agent == "x" * MAX_USER_AGENT
