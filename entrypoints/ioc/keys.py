"""Signing keys: the token service on the key ring (ES256) or on JWT_SECRET (HS256), the key use
cases, and introspection."""

from datetime import timedelta

from dishka import Provider, Scope, alias, provide

from adapters.jwt_tokens import JwtAccessTokens
from adapters.key_ring import KeyRing, KeySource
from adapters.signing_keys import EcSigningKeyFactory, KeySealer
from application.keys.introspect_token import IntrospectionClients, IntrospectToken
from application.keys.list_signing_keys import ListSigningKeys
from application.keys.policy import KeyPolicy
from application.keys.published_signing_keys import PublishedSigningKeys
from application.keys.revoke_signing_key import RevokeSigningKey
from application.keys.rotate_signing_key import RotateSigningKey
from application.ports.access_tokens import AccessTokenIssuer, AccessTokenVerifier
from application.ports.clock import Clock
from application.ports.signing_keys import SigningKeyFactory
from entrypoints.settings import KeySettings, TokenSettings


def key_policy(keys: KeySettings, tokens: TokenSettings) -> KeyPolicy:
    lifetime = timedelta(seconds=tokens.access_token_ttl)
    return KeyPolicy(
        publishes_keys=keys.publishes_keys,
        schedule=keys.schedule(lifetime),
        algorithm=keys.jwt_algorithm,
        issuer=keys.jwt_issuer,
    )


def introspection_clients(keys: KeySettings) -> IntrospectionClients:
    return IntrospectionClients(keys.clients)


class KeysProvider(Provider):
    scope = Scope.REQUEST

    key_policy = provide(staticmethod(key_policy), scope=Scope.APP)
    introspection_clients = provide(staticmethod(introspection_clients), scope=Scope.APP)

    @provide(scope=Scope.APP)
    def key_factory(self, tokens: TokenSettings) -> SigningKeyFactory:
        return EcSigningKeyFactory(tokens.jwt_secret)

    @provide(scope=Scope.APP)
    def key_ring(self, source: KeySource, tokens: TokenSettings, clock: Clock) -> KeyRing:
        """The keys' source is the storage's (entrypoints/ioc/storage.py), on a connection of
        its own."""
        return KeyRing(source, KeySealer(tokens.jwt_secret), clock)

    @provide(scope=Scope.APP)
    def access_tokens(
        self, tokens: TokenSettings, keys: KeySettings, clock: Clock, ring: KeyRing
    ) -> JwtAccessTokens:
        """ES256 on the ring; HS256 on the secret alone (the ring, never asked, reads nothing)."""
        return JwtAccessTokens(
            tokens.jwt_secret,
            tokens.access_token_lifetime,
            clock,
            issuer=keys.jwt_issuer,
            audience=keys.jwt_audience,
            ring=ring if keys.publishes_keys else None,
        )

    issuer = alias(source=JwtAccessTokens, provides=AccessTokenIssuer)
    verifier = alias(source=JwtAccessTokens, provides=AccessTokenVerifier)

    rotate_signing_key = provide(RotateSigningKey)
    revoke_signing_key = provide(RevokeSigningKey)
    list_signing_keys = provide(ListSigningKeys)
    published_signing_keys = provide(PublishedSigningKeys)
    introspect_token = provide(IntrospectToken)
