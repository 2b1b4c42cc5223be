from application.ports.passkeys import PasskeyStore
from application.shared.identify_caller import IdentifyCaller
from domain.passkey import Passkey


class ListOwnPasskeys:
    """The signed-in caller's passkeys, oldest first."""

    def __init__(self, identify: IdentifyCaller, passkeys: PasskeyStore) -> None:
        self._identify = identify
        self._passkeys = passkeys

    async def execute(self) -> list[Passkey]:
        caller = await self._identify()
        return await self._passkeys.of_user(caller.user_id)
