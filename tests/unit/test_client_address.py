"""Which address a request is counted under: the TCP peer, or, from a trusted proxy, the
right-most X-Forwarded-For entry that is not one of the trusted proxies."""

import ipaddress
from typing import Any

import pytest
from litestar import Request

from entrypoints.http.client import MAX_USER_AGENT, client_address, client_of, forwarded_address

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


@pytest.mark.parametrize(
    ("entry", "address"),
    [
        ("203.0.113.1", "203.0.113.1"),
        (" 203.0.113.1 ", "203.0.113.1"),
        ("203.0.113.1:4444", "203.0.113.1"),
        ("203.0.113.1:0", "203.0.113.1"),
        ("203.0.113.1:65535", "203.0.113.1"),
        ("2a00::5", "2a00::5"),
        ("2A00:0:0::5", "2a00::5"),
        ("[2a00::5]", "2a00::5"),
        ("[2a00::5]:5678", "2a00::5"),
        ("::ffff:203.0.113.1", "::ffff:cb00:7101"),
        ("203.0.113.1:65536", None),
        ("203.0.113.1:", None),
        ("203.0.113.1:-1", None),
        ("203.0.113.1:\uff14\uff14", None),
        ("203.0.113.1:1:2", None),
        ("[203.0.113.1]:80", None),
        ("[2a00::5", None),
        ("[2a00::5]80", None),
        ("[2a00::5]:", None),
        ("2a00::5:99999", None),
        ("example.com:80", None),
        ("unknown", None),
        ("_hidden", None),
        ("0203.0.113.1", None),
    ],
)
def test_forwarded_entries_are_read_with_or_without_a_port(entry: str, address: str | None) -> None:
    parsed = forwarded_address(entry)

    assert (str(parsed) if parsed else None) == address


@pytest.mark.parametrize("forwarded", ["203.0.113.1:4444", "[2a00::5]:4444"])
def test_a_client_with_a_port_is_that_client_not_the_proxy(forwarded: str) -> None:
    """Found by a review: `198.51.100.7:4444` from a trusted proxy made the proxy the client."""
    address = client_address(request("10.1.2.3", forwarded), PROXIES)

    assert address == forwarded.rpartition(":")[0].strip("[]")


def test_a_trusted_proxy_with_a_port_is_still_skipped() -> None:
    chained = request("10.1.2.3", "203.0.113.1:1, 10.9.9.9:2, [2001:db8::9]:3")

    assert client_address(chained, PROXIES) == "203.0.113.1"


@pytest.mark.parametrize("garbage", ["not-an-address", "203.0.113.1:99999", "[::1", "999.0.0.1"])
def test_garbage_where_the_client_should_be_is_one_unknown_client(garbage: str) -> None:
    # Never the proxy itself (it would have the proxy's standing: /metrics, its throttle
    # bucket), and never a string the client chose: that would give it a fresh count on every
    # request.
    assert client_address(request("10.1.2.3", f"203.0.113.9, {garbage}"), PROXIES) == "unknown"


def test_no_peer_at_all_is_one_unknown_client() -> None:
    assert client_address(request(None, "203.0.113.1"), PROXIES) == "unknown"


def test_the_user_agent_is_kept_short() -> None:
    client = client_of(request("198.51.100.7", user_agent="x" * 1000), [])

    assert client.address == "198.51.100.7"
    assert client.user_agent == "x" * MAX_USER_AGENT
