"""Tokens other services verify: the published key set, its discovery document, and
introspection (RFC 7662) for services that must see a sign-out at once."""

import base64
import binascii
import urllib.parse
from dataclasses import dataclass
from typing import Any

import msgspec
from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, Response, get, post
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.status_codes import HTTP_200_OK

from application.keys.introspect_token import ClientCredentials, Introspection, IntrospectToken
from application.keys.policy import KeyPolicy
from application.keys.published_signing_keys import PublishedSigningKeys
from entrypoints.http.body_refusals import MalformedBody, UnsupportedFormContentType
from entrypoints.http.key_schemas import (
    DiscoveryAnswer,
    IntrospectionAnswer,
    IntrospectionBody,
    JwksAnswer,
    PublicJwk,
)
from entrypoints.http.openapi import CROSS_SITE, INTROSPECTION_CLIENT, refusals

AnyRequest = Request[Any, Any, Any]
JWKS_PATH = "/.well-known/jwks.json"
INTROSPECTION_PATH = "/api/auth/introspect"
_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"


@dataclass
class IntrospectionOperation(Operation):
    """The body is a form (RFC 7662) or JSON, read by the handler itself: Litestar documents one
    type per body."""

    def __post_init__(self) -> None:
        schema = Schema(
            type=OpenAPIType.OBJECT,
            properties={
                "token": Schema(type=OpenAPIType.STRING, description="The access token."),
                "token_type_hint": Schema(type=OpenAPIType.STRING),
            },
        )
        self.request_body = RequestBody(
            content={
                _FORM: OpenAPIMediaType(schema=schema),
                _JSON: OpenAPIMediaType(schema=schema),
            },
            required=False,
        )


class KeysController(Controller):
    tags = ["keys"]

    @get(
        JWKS_PATH,
        responses=refusals(503),
    )
    async def jwks(self, published: FromDishka[PublishedSigningKeys]) -> Response[JwksAnswer]:
        """The public keys (JWK) of every key a live token may carry or that will sign soon,
        newest first; none with JWT_ALGORITHM=HS256. Cache it for `max-age` (JWKS_MAX_AGE): a
        new key is published that long before it signs."""
        key_set = await published.execute()
        keys = [msgspec.convert(jwk, PublicJwk) for jwk in key_set.keys]
        return Response(
            JwksAnswer(keys),
            headers={"Cache-Control": f"public, max-age={key_set.cache_for}"},
        )

    @get("/.well-known/openid-configuration")
    async def discovery(self, policy: FromDishka[KeyPolicy]) -> DiscoveryAnswer:
        """Where the keys and introspection are (OpenID Connect Discovery's names; Authgate is no
        OAuth authorization server)."""
        issuer = policy.issuer.rstrip("/")
        return DiscoveryAnswer(
            issuer=policy.issuer,
            jwks_uri=issuer + JWKS_PATH,
            introspection_endpoint=issuer + INTROSPECTION_PATH,
            id_token_signing_alg_values_supported=[policy.algorithm],
            introspection_endpoint_auth_methods_supported=["client_secret_basic"],
        )

    @post(
        INTROSPECTION_PATH,
        status_code=HTTP_200_OK,
        security=INTROSPECTION_CLIENT,
        operation_class=IntrospectionOperation,
        responses=refusals(
            400,
            401,
            403,
            413,
            415,
            503,
            meanings={
                400: "A body that is not the form or JSON it says it is.",
                401: "No valid credentials of a client in INTROSPECTION_CLIENTS (HTTP Basic): "
                "`Unauthorized client.`",
                403: CROSS_SITE,
                415: "A body that is neither a form nor JSON.",
            },
        ),
    )
    async def introspect(
        self, request: AnyRequest, introspect: FromDishka[IntrospectToken]
    ) -> IntrospectionAnswer:
        """RFC 7662: `{"active": true, ...}` for a token that /api/test/user would accept now,
        else `{"active": false}` (expired, signed out, its user disabled or deleted, its key
        revoked, or no token at all). For services that must see a sign-out at once."""
        credentials = basic_credentials(request.headers.get("authorization"))
        introspect.authenticate(credentials)
        return answer(await introspect.execute(credentials, await _presented_token(request)))


def answer(introspection: Introspection) -> IntrospectionAnswer:
    claims = introspection.claims
    if not introspection.active or claims is None:
        return IntrospectionAnswer(active=False)
    return IntrospectionAnswer(
        active=True,
        sub=str(claims.user_id),
        username=introspection.username,
        roles=[role.authority for role in introspection.roles],
        sid=claims.session_id,
        exp=claims.expires_at,
        iat=claims.issued_at,
        iss=claims.issuer,
        aud=claims.audience,
    )


def basic_credentials(authorization: str | None) -> ClientCredentials | None:
    scheme, _, encoded = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, colon, secret = decoded.partition(":")
    # RFC 6749 2.3.1: client credentials are form-encoded before they are put in the header.
    return (
        ClientCredentials(urllib.parse.unquote(name), urllib.parse.unquote(secret))
        if colon
        else None
    )


async def _presented_token(request: AnyRequest) -> str | None:
    body = await request.body()
    if not body:
        return None
    content_type = request.content_type[0].lower()
    if content_type == _FORM:
        try:
            form = urllib.parse.parse_qs(body.decode(), strict_parsing=False)
        except UnicodeDecodeError:
            raise MalformedBody("it is not valid UTF-8.") from None
        tokens = form.get("token")
        return tokens[0] if tokens else None
    if content_type == _JSON:
        try:
            token = msgspec.json.decode(body, type=IntrospectionBody).token
        except msgspec.DecodeError as error:
            raise MalformedBody(str(error)) from None
        return token
    raise UnsupportedFormContentType
