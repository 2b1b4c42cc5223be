"""The few Authgate calls the seeding needs, over plain http.client: no load, no concurrency."""

import http.client
import json
from collections.abc import Sequence
from dataclasses import dataclass

from bench.errors import BenchError
from testkit.servers import HOST, get_status

PASSWORD = "bench-password-1"  # noqa: S105 - every bench account's, in a throwaway database


@dataclass(frozen=True, slots=True)
class SignedIn:
    access_token: str
    refresh_token: str


@dataclass(frozen=True, slots=True)
class Api:
    port: int

    def expect_ok(self, path: str, access_token: str) -> None:
        status = get_status(self.port, path, {"x-access-token": access_token})
        if status != 200:
            raise BenchError(f"GET {path} answered {status} to a seeded token, not 200")

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

    def _post(
        self, path: str, body: dict[str, object], access_token: str | None = None
    ) -> dict[str, object]:
        headers = {"content-type": "application/json"}
        if access_token:
            headers["x-access-token"] = access_token
        connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
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
