"""The relying party on Duo's py_webauthn: options for the browser, and the checks of what an
authenticator returns (client data, authenticator data, attestation, signature). Everything the
library raises becomes one CredentialRejected: what a client sends never reaches a use case as
anything else, nor the client as a 500."""

from collections.abc import Sequence
from dataclasses import dataclass

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    options_to_json_dict,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from application.ports.passkeys import (
    Assertion,
    AttestedCredential,
    Credential,
    CredentialRejected,
    Options,
    PasskeyHolder,
    RelyingParty,
)
from domain.passkey import CHALLENGE_LIFETIME, user_handle

# Ed25519, P-256 and RSA: what browsers' and security keys' authenticators offer.
_ALGORITHMS = [
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]
_TIMEOUT_MS = int(CHALLENGE_LIFETIME.total_seconds() * 1000)


@dataclass(frozen=True, slots=True)
class RelyingPartyIdentity:
    rp_id: str
    """The domain the passkeys are bound to (WEBAUTHN_RP_ID)."""
    name: str
    origins: tuple[str, ...]
    """The page origins allowed to use them (WEBAUTHN_ORIGINS)."""


class WebAuthnRelyingParty(RelyingParty):
    def __init__(self, identity: RelyingPartyIdentity) -> None:
        self._identity = identity

    def creation_options(
        self, holder: PasskeyHolder, challenge: bytes, exclude: Sequence[bytes]
    ) -> Options:
        options = generate_registration_options(
            rp_id=self._identity.rp_id,
            rp_name=self._identity.name,
            user_id=user_handle(holder.user_id),
            user_name=holder.username,
            challenge=challenge,
            timeout=_TIMEOUT_MS,
            attestation=AttestationConveyancePreference.NONE,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.PREFERRED,
            ),
            exclude_credentials=[PublicKeyCredentialDescriptor(id=each) for each in exclude],
            supported_pub_key_algs=_ALGORITHMS,
        )
        return options_to_json_dict(options)

    def request_options(self, challenge: bytes) -> Options:
        options = generate_authentication_options(
            rp_id=self._identity.rp_id,
            challenge=challenge,
            timeout=_TIMEOUT_MS,
            user_verification=UserVerificationRequirement.PREFERRED,
        )
        return options_to_json_dict(options)

    def challenge_of(self, credential: Credential) -> bytes | None:
        try:
            response = credential["response"]
            client_data = base64url_to_bytes(response["clientDataJSON"])
            return parse_client_data_json(client_data).challenge
        except Exception:  # whatever a client sent that cannot be read
            return None

    def credential_id_of(self, credential: Credential) -> bytes | None:
        raw_id = credential.get("rawId")
        if not isinstance(raw_id, str):
            return None
        try:
            return base64url_to_bytes(raw_id)
        except Exception:
            return None

    def verify_registration(self, credential: Credential, challenge: bytes) -> AttestedCredential:
        try:
            parsed = parse_registration_credential_json(dict(credential))
            verified = verify_registration_response(
                credential=parsed,
                expected_challenge=challenge,
                expected_rp_id=self._identity.rp_id,
                expected_origin=list(self._identity.origins),
                supported_pub_key_algs=_ALGORITHMS,
            )
        except Exception as error:
            raise CredentialRejected(str(error)) from error
        return AttestedCredential(
            credential_id=verified.credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=tuple(t.value for t in parsed.response.transports or ()),
            user_verified=verified.user_verified,
        )

    def verify_authentication(
        self, credential: Credential, challenge: bytes, public_key: bytes
    ) -> Assertion:
        try:
            parsed = parse_authentication_credential_json(dict(credential))
            verified = verify_authentication_response(
                credential=parsed,
                expected_challenge=challenge,
                expected_rp_id=self._identity.rp_id,
                expected_origin=list(self._identity.origins),
                credential_public_key=public_key,
                # The counter is judged by the domain's rule, after the signature: a counter
                # gone backwards under a good signature is a cloned key, and is audited.
                credential_current_sign_count=0,
            )
        except Exception as error:
            raise CredentialRejected(str(error)) from error
        return Assertion(
            sign_count=verified.new_sign_count,
            user_verified=verified.user_verified,
            user_handle=parsed.response.user_handle,
        )
