from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from adapters.bcrypt_hasher import BcryptPasswordHasher
from adapters.jwt_tokens import JwtAccessTokens
from tests.fakes import FakeClock
from tests.tokens import TEST_SECRET
from tests.unit.authgate import ACCESS_TOKEN_LIFETIME, Authgate

BCRYPT_COST = 4


@pytest.fixture(scope="session")
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="test-bcrypt") as pool:
        yield pool


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hasher(executor: ThreadPoolExecutor) -> BcryptPasswordHasher:
    return BcryptPasswordHasher(BCRYPT_COST, executor, slots=4, queue_timeout=60)


@pytest.fixture
def tokens(clock: FakeClock) -> JwtAccessTokens:
    return JwtAccessTokens(TEST_SECRET, ACCESS_TOKEN_LIFETIME, clock)


@pytest.fixture
async def authgate(clock: FakeClock, hasher: BcryptPasswordHasher) -> AsyncIterator[Authgate]:
    authgate = await Authgate.start(clock, hasher)
    yield authgate
    await authgate.close()
