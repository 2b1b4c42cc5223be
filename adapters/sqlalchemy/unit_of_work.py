from sqlalchemy.ext.asyncio import AsyncConnection


class SqlAlchemyUnitOfWork:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def commit(self) -> None:
        await self._connection.commit()
