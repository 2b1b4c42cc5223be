"""The bodies of the passkey ceremonies: the WebAuthn options in their JSON form, and what a page
sends back (README "Passkeys")."""

from datetime import datetime
from typing import Annotated, Any

import msgspec

from entrypoints.http.schemas import documented

_BASE64URL = "base64url, without padding"


class RelyingPartyEntity(msgspec.Struct):
    name: str
    id: str


class PasskeyUserEntity(msgspec.Struct, rename="camel"):
    id: Annotated[str, documented(f"The user handle, {_BASE64URL}.")]
    name: str
    display_name: str


class CredentialParameters(msgspec.Struct):
    type: str
    alg: int
    """A COSE algorithm: -8 Ed25519, -7 ES256, -257 RS256."""


class CredentialDescriptor(msgspec.Struct, omit_defaults=True):
    id: Annotated[str, documented(f"A credential id, {_BASE64URL}.")]
    type: str
    transports: list[str] | None = None


class AuthenticatorSelection(msgspec.Struct, rename="camel"):
    resident_key: str
    require_resident_key: bool
    user_verification: str


class PasskeyCreationOptions(msgspec.Struct, rename="camel"):
    """`PublicKeyCredentialCreationOptionsJSON`: what `navigator.credentials.create` takes as
    `publicKey`, once its base64url fields are bytes (or straight from
    `PublicKeyCredential.parseCreationOptionsFromJSON`)."""

    rp: RelyingPartyEntity
    user: PasskeyUserEntity
    challenge: Annotated[str, documented(f"Single use, 5 minutes; {_BASE64URL}.")]
    pub_key_cred_params: list[CredentialParameters]
    timeout: int
    exclude_credentials: list[CredentialDescriptor]
    """The caller's passkeys: an authenticator that holds one says so rather than making
    another."""
    authenticator_selection: AuthenticatorSelection
    attestation: str


class PasskeyRequestOptions(msgspec.Struct, rename="camel"):
    """`PublicKeyCredentialRequestOptionsJSON`: what `navigator.credentials.get` takes as
    `publicKey`, once its base64url fields are bytes."""

    challenge: Annotated[str, documented(f"Single use, 5 minutes; {_BASE64URL}.")]
    timeout: int
    rp_id: str
    allow_credentials: list[CredentialDescriptor]
    """Always empty: passkeys are discoverable, and the list would tell who has an account."""
    user_verification: str


_CREDENTIAL = documented(
    "The PublicKeyCredential the browser returned, as its `toJSON()` gives it (binary fields "
    f"{_BASE64URL})."
)
Credential = Annotated[dict[str, Any], _CREDENTIAL]


class PasskeyRegistrationBody(msgspec.Struct):
    credential: Credential
    name: Annotated[
        str | None, documented("What to call it in the list; at most 64 characters.")
    ] = None


class PasskeySigninOptionsBody(msgspec.Struct):
    username: Annotated[
        str | None, documented("Absent: username-less, any account's passkey may answer.")
    ] = None


class PasskeySigninBody(msgspec.Struct):
    credential: Credential


class PasskeyAnswer(msgspec.Struct, rename="camel"):
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
