"""The bodies of the key set, the discovery document and introspection (README "Signing
keys")."""

import msgspec


class PublicJwk(msgspec.Struct):
    """An ES256 public key (RFC 7517), named by its RFC 7638 thumbprint."""

    kty: str
    crv: str
    x: str
    y: str
    kid: str
    use: str
    alg: str


class JwksAnswer(msgspec.Struct):
    keys: list[PublicJwk]


class DiscoveryAnswer(msgspec.Struct):
    """The keys' discovery document (OpenID Connect Discovery's names; Authgate is no OAuth
    authorization server)."""

    issuer: str
    jwks_uri: str
    introspection_endpoint: str
    id_token_signing_alg_values_supported: list[str]
    introspection_endpoint_auth_methods_supported: list[str]


class IntrospectionBody(msgspec.Struct):
    token: str | None = None
    token_type_hint: str | None = None


class IntrospectionAnswer(msgspec.Struct, omit_defaults=True):
    """RFC 7662: `active` alone for a token that is not live now."""

    active: bool
    sub: str | None = None
    username: str | None = None
    roles: list[str] | None = None
    """`ROLE_*`, as in the signin answer."""
    sid: str | None = None
    exp: int | None = None
    iat: int | None = None
    iss: str | None = None
    aud: str | None = None
