"""The few Authgate calls the seeding needs, over plain http.client: no load, no concurrency."""

import http.client
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from bench.errors import BenchError
from testkit.servers import HOST

PASSWORD = "bench-password-1"  # noqa: S105 - every bench account's, in a throwaway database


@dataclass(frozen=True, slots=True)
class SignedIn:
    access_token: str
    refresh_token: str


@dataclass(frozen=True, slots=True)
class CollectorPasses:
    """The server's authgate_gc_pause_seconds, summed over its workers: per generation, how many
    passes fell in each bucket (cumulative, as Prometheus counts them)."""

    buckets: dict[str, dict[float, float]]

    def since(self, earlier: "CollectorPasses") -> "CollectorPasses":
        return CollectorPasses(
            {
                generation: {
                    bound: count - earlier.buckets.get(generation, {}).get(bound, 0.0)
                    for bound, count in counts.items()
                }
                for generation, counts in self.buckets.items()
            }
        )

    def as_json(self) -> dict[str, float]:
        return {"count": self.count(), "longest_ms_at_most": self.longest_ms()}

    def count(self) -> int:
        return round(sum(counts.get(math.inf, 0.0) for counts in self.buckets.values()))

    def longest_ms(self) -> float:
        """The bucket bound under which every pass fell, in ms: 0 with no pass."""
        longest = 0.0
        for counts in self.buckets.values():
            total = counts.get(math.inf, 0.0)
            if total:
                longest = max(longest, min(bound for bound, n in counts.items() if n >= total))
        return longest * 1e3


@dataclass(frozen=True, slots=True)
class Api:
    """Authgate's API on `host`:`port`, or another implementation's with the same paths (the
    Node original's: bench/compare.py)."""

    port: int
    host: str = HOST

    def expect_ok(self, path: str, access_token: str) -> None:
        status = self.status(path, access_token)
        if status != 200:
            raise BenchError(f"GET {path} answered {status} to a seeded token, not 200")

    def status(self, path: str, access_token: str) -> int:
        """The status of GET `path` with `access_token` in x-access-token."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request("GET", path, headers={"x-access-token": access_token})
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def signup(
        self, username: str, roles: Sequence[str] = (), admin_token: str | None = None
    ) -> None:
        body: dict[str, object] = {
            "username": username,
            "email": f"{username}@bench.example.com",
            "password": PASSWORD,
        }
        if roles:
            body["roles"] = list(roles)
        self._post("/api/auth/signup", body, admin_token)

    def signin(self, username: str) -> SignedIn:
        answer = self._post("/api/auth/signin", signin_body(username))
        return SignedIn(_text(answer, "accessToken"), _text(answer, "refreshToken"))

    def access_token(self, username: str) -> str:
        """A signin's access token alone: the original answers no refresh token."""
        return _text(self._post("/api/auth/signin", signin_body(username)), "accessToken")

    def collector_passes(self) -> CollectorPasses | None:
        """The garbage collector's passes so far, from GET /metrics (served to loopback); None
        from a server that does not report them (an older commit under BENCH_SERVER_ROOT)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request("GET", "/metrics")
            response = connection.getresponse()
            status, data = response.status, response.read()
        finally:
            connection.close()
        if status != 200:
            return None
        buckets: dict[str, dict[float, float]] = {}
        for family in text_string_to_metric_families(data.decode()):
            for sample in family.samples:
                if sample.name == "authgate_gc_pause_seconds_bucket":
                    bound = float(sample.labels["le"])
                    buckets.setdefault(sample.labels["generation"], {})[bound] = sample.value
        return CollectorPasses(buckets) if buckets else None

    def _post(
        self, path: str, body: dict[str, object], access_token: str | None = None
    ) -> dict[str, object]:
        headers = {"content-type": "application/json"}
        if access_token:
            headers["x-access-token"] = access_token
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request("POST", path, body=json.dumps(body), headers=headers)
            response = connection.getresponse()
            status, data = response.status, response.read()
        finally:
            connection.close()
        if status != 200:
            raise BenchError(f"POST {path} answered {status}: {data.decode(errors='replace')}")
        answer = json.loads(data)
        if not isinstance(answer, dict):
            raise BenchError(f"POST {path} answered {data!r}, not a JSON object")
        return answer


def signin_body(username: str) -> dict[str, object]:
    return {"username": username, "password": PASSWORD}


def _text(answer: dict[str, object], key: str) -> str:
    value = answer.get(key)
    if not isinstance(value, str):
        raise BenchError(f"the signin answer has no string {key!r}: {answer}")
    return value
