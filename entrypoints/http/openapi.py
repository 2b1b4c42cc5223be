"""What each operation may answer besides its success, for the OpenAPI document. One helper, so
that every controller documents its refusals the same way and with the body the service really
sends: the error table in `errors.py` answers every refusal as `{"message": ...}`."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Components, Operation, RequestBody, SecurityScheme

from entrypoints.http.schemas import MessageBody
from entrypoints.http.tokens import ACCESS_TOKEN_COOKIE

_MEANINGS: Mapping[int, str] = {
    400: "A missing or invalid field, or a body that is not the expected JSON.",
    401: "The access token is expired or not valid.",
    403: "Not allowed: no token, or a role it lacks.",
    404: "Not found.",
    409: "Refused: it would break a rule of the data.",
    413: "The request body is over the size limit.",
    415: "The body is not JSON.",
    429: "Too many attempts; `Retry-After` says when to try again.",
    503: "The database or the password hashing cannot answer in time; `Retry-After` says when "
    "to try again.",
}


CROSS_SITE = (
    "Sent with the access-token cookie from a page of another origin: `Cross-site request "
    "refused.` (entrypoints/http/cors.py)."
)
"""The 403 every POST, PUT, PATCH and DELETE may meet, whatever else its 403 means."""


def or_cross_site(meaning: str) -> str:
    """A 403's own meaning, and the cross-site refusal for the POST, PUT, PATCH and DELETE it
    may be documented on."""
    return (
        f"{meaning} Or, for a POST, PUT, PATCH or DELETE: {CROSS_SITE[0].lower()}{CROSS_SITE[1:]}"
    )


def refusals(
    *status_codes: int,
    bodies: Mapping[int, type[Any]] | None = None,
    meanings: Mapping[int, str] | None = None,
) -> dict[int, ResponseSpec]:
    """`responses=` for a route handler: each status code with its meaning and its body,
    `{"message": string}` unless `bodies` names another for that code."""
    bodies = bodies or {}
    meanings = meanings or {}
    return {
        code: ResponseSpec(
            data_container=bodies.get(code, MessageBody),
            description=meanings.get(code) or _MEANINGS[code],
            generate_examples=False,
        )
        for code in status_codes
    }


@dataclass
class OptionalBodyOperation(Operation):
    """`operation_class=` for a route whose body may be left out: Litestar documents every body
    as required, even one declared `... | None = None`."""

    def __post_init__(self) -> None:
        if isinstance(self.request_body, RequestBody):
            self.request_body.required = False


@dataclass
class PathParameterOperation(Operation):
    """`operation_class=` for a route whose only parameter is in its path and that takes no
    body: Litestar documents a 400 with a validation-error body of its own for any route with a
    parameter, but a path parameter that does not parse matches no route here (404), and this
    service writes every refusal as `{"message"}` (errors.py)."""

    def __post_init__(self) -> None:
        if self.responses:
            self.responses.pop("400", None)


# The three places an access token is taken from, in the order they are tried.
COMPONENTS = Components(
    security_schemes={
        "accessTokenHeader": SecurityScheme(
            type="apiKey", name="x-access-token", security_scheme_in="header"
        ),
        "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
        "accessTokenCookie": SecurityScheme(
            type="apiKey", name=ACCESS_TOKEN_COOKIE, security_scheme_in="cookie"
        ),
    }
)
ACCESS_TOKEN: list[dict[str, list[str]]] = [
    {name: []} for name in COMPONENTS.security_schemes or {}
]
"""`security=` for a route that needs an access token: any one of the three."""
OPTIONAL_ACCESS_TOKEN: list[dict[str, list[str]]] = [{}, *ACCESS_TOKEN]
"""`security=` for a route that reads an access token when one is sent."""
# Not an access token: the services in INTROSPECTION_CLIENTS, by HTTP Basic.
(COMPONENTS.security_schemes or {})["introspectionClient"] = SecurityScheme(
    type="http", scheme="basic"
)
INTROSPECTION_CLIENT: list[dict[str, list[str]]] = [{"introspectionClient": []}]
"""`security=` for introspection."""
