from application.common.errors import AccessTokenInvalid
from application.passkeys.challenges import PasskeyChallenges
from application.ports.passkeys import Options, PasskeyHolder, PasskeyStore, RelyingParty
from application.ports.users import UserRepository
from application.shared.identify_caller import IdentifyCaller
from domain.passkey import ChallengePurpose


class BeginPasskeyRegistration:
    """The creation options of a new passkey for the signed-in caller, with a challenge bound to
    them; the caller's passkeys are listed so that an authenticator holding one says so."""

    def __init__(
        self,
        identify: IdentifyCaller,
        users: UserRepository,
        passkeys: PasskeyStore,
        challenges: PasskeyChallenges,
        relying_party: RelyingParty,
    ) -> None:
        self._identify = identify
        self._users = users
        self._passkeys = passkeys
        self._challenges = challenges
        self._relying_party = relying_party

    async def execute(self) -> Options:
        caller = await self._identify()
        user = await self._users.get(caller.user_id)
        if user is None:  # deleted since the token was checked
            raise AccessTokenInvalid
        existing = await self._passkeys.of_user(user.id)
        challenge = await self._challenges.issue(ChallengePurpose.REGISTRATION, user.id)
        return self._relying_party.creation_options(
            PasskeyHolder(user.id, user.username.value),
            challenge,
            [passkey.credential_id for passkey in existing],
        )
