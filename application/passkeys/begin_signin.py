from dataclasses import dataclass

from application.passkeys.challenges import PasskeyChallenges
from application.ports.passkeys import Options, RelyingParty
from application.ports.users import UserRepository
from domain.errors import InvalidField
from domain.passkey import ChallengePurpose
from domain.values import Username


@dataclass(frozen=True, slots=True)
class BeginPasskeySigninRequest:
    username: str | None = None
    """None: username-less, any user's passkey may answer."""


class BeginPasskeySignin:
    """The request options of a passkey signin. With a username the challenge only lets that
    account's passkeys in; the options are the same whether or not the account exists (no
    credentials are listed: passkeys are discoverable), so they tell nobody which names are
    taken."""

    def __init__(
        self,
        users: UserRepository,
        challenges: PasskeyChallenges,
        relying_party: RelyingParty,
    ) -> None:
        self._users = users
        self._challenges = challenges
        self._relying_party = relying_party

    async def execute(self, request: BeginPasskeySigninRequest) -> Options:
        if request.username is None:
            challenge = await self._challenges.issue(ChallengePurpose.SIGNIN, None)
        else:
            user_id = await self._user_id(request.username)
            challenge = await self._challenges.issue(ChallengePurpose.SIGNIN_OF_USER, user_id)
        return self._relying_party.request_options(challenge)

    async def _user_id(self, username: str) -> int | None:
        try:
            user = await self._users.find_by_username(Username(username))
        except InvalidField:
            return None
        return None if user is None else user.id
