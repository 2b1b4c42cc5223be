from dataclasses import dataclass

from application.passkeys.challenges import PasskeyChallenges
from application.ports.passkeys import Options, RelyingParty
from application.ports.users import UserRepository
from application.shared.identify_caller import IdentifyCaller
from application.shared.throttle import Throttle
from application.shared.transactions import Transactions
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
    taken. Each challenge is stored until it expires, so each counts against the caller's
    address (`PASSKEY_OPTIONS_ADDRESS_LIMIT`) before it is written."""

    def __init__(
        self,
        identify: IdentifyCaller,
        users: UserRepository,
        challenges: PasskeyChallenges,
        relying_party: RelyingParty,
        throttle: Throttle,
        transactions: Transactions,
    ) -> None:
        self._identify = identify
        self._users = users
        self._challenges = challenges
        self._relying_party = relying_party
        self._throttle = throttle
        self._transactions = transactions

    async def execute(self, request: BeginPasskeySigninRequest) -> Options:
        await self._throttle.reserve(
            self._throttle.policy.passkey_options(self._identify.client), self._transactions
        )
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
