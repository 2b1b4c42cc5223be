"""Passkeys: the relying party, built once from its settings, and the use cases."""

from dishka import Provider, Scope, provide

from adapters.webauthn_relying_party import RelyingPartyIdentity, WebAuthnRelyingParty
from application.passkeys.begin_registration import BeginPasskeyRegistration
from application.passkeys.begin_signin import BeginPasskeySignin
from application.passkeys.challenges import PasskeyChallenges
from application.passkeys.list_own_passkeys import ListOwnPasskeys
from application.passkeys.register_passkey import RegisterPasskey
from application.passkeys.remove_passkey import RemovePasskey
from application.passkeys.sign_in_with_passkey import SignInWithPasskey
from application.ports.passkeys import RelyingParty
from entrypoints.settings import PasskeySettings


def relying_party(passkeys: PasskeySettings) -> RelyingParty:
    return WebAuthnRelyingParty(
        RelyingPartyIdentity(
            rp_id=passkeys.webauthn_rp_id,
            name=passkeys.webauthn_rp_name,
            origins=passkeys.webauthn_origins,
        )
    )


class PasskeysProvider(Provider):
    scope = Scope.REQUEST

    relying_party = provide(staticmethod(relying_party), scope=Scope.APP)

    challenges = provide(PasskeyChallenges)
    begin_registration = provide(BeginPasskeyRegistration)
    register_passkey = provide(RegisterPasskey)
    list_own_passkeys = provide(ListOwnPasskeys)
    remove_passkey = provide(RemovePasskey)
    begin_signin = provide(BeginPasskeySignin)
    sign_in_with_passkey = provide(SignInWithPasskey)
