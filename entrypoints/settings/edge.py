"""The HTTP edge: who may call (CORS, proxies, /metrics), what a slow, broken or hostile client
may hold, and the headers and docs every answer comes with."""

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Self

from entrypoints.settings.declarations import SettingsError, read, setting

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class EdgeSettings:
    cors_origins: tuple[str, ...] = setting(("http://localhost:8081",), "CORS_ORIGINS")
    cookie_secure: bool = setting(False, "COOKIE_SECURE")
    trusted_proxies: tuple[str, ...] = setting((), "TRUSTED_PROXIES")
    """Addresses or CIDR ranges of the proxies whose X-Forwarded-For is believed."""
    metrics_allow: tuple[str, ...] = setting(("127.0.0.1", "::1"), "METRICS_ALLOW")
    """Addresses or CIDR ranges that may read GET /metrics (the client address, as for rate
    limits); others get 403. `0.0.0.0/0,::/0` lets every address read it."""
    max_body_size: int = setting(64 * 1024, "MAX_BODY_SIZE", low=1024)
    header_read_timeout: float = setting(10.0, "HEADER_READ_TIMEOUT", low=0.1, high=60)
    """Seconds a connection may take to send a request's headers (or stay idle between them)."""
    body_read_timeout: float = setting(10.0, "BODY_READ_TIMEOUT", low=0.1, high=300)
    """Seconds a request may take to send its whole body, counted from its headers."""
    max_connections: int = setting(4096, "MAX_CONNECTIONS", low=16, high=65536)
    """Open connections per worker; more wait in the listen queue."""
    hsts_max_age: int = setting(0, "HSTS_MAX_AGE", low=0)
    """Seconds for Strict-Transport-Security; 0 sends no such header (serve over HTTPS first)."""
    docs_enabled: bool = setting(True, "DOCS_ENABLED")

    @property
    def trusted_proxy_networks(self) -> tuple[Network, ...]:
        return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in self.trusted_proxies)

    @property
    def metrics_networks(self) -> tuple[Network, ...]:
        return tuple(ipaddress.ip_network(source, strict=False) for source in self.metrics_allow)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        edge = read(cls, env)
        return replace(
            edge,
            cors_origins=_origins(edge.cors_origins),
            trusted_proxies=_networks("TRUSTED_PROXIES", edge.trusted_proxies),
            metrics_allow=_networks("METRICS_ALLOW", edge.metrics_allow),
        )


def _origins(configured: tuple[str, ...]) -> tuple[str, ...]:
    origins = tuple(origin.rstrip("/") for origin in configured)
    if "*" in origins:
        # Credentials (the cookie) go with every CORS answer, and browsers refuse "*" with them.
        raise SettingsError("CORS_ORIGINS must list origins; '*' is not allowed with credentials")
    return origins


def _networks(name: str, configured: tuple[str, ...]) -> tuple[str, ...]:
    for network in configured:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise SettingsError(
                f"{name} must list addresses or CIDR ranges, not {network!r}"
            ) from None
    return configured
