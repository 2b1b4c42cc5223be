import base64
import re

from adapters.refresh_tokens import HmacRefreshTokenSuccession
from domain.session import RefreshToken
from tests.tokens import OTHER_SECRET, TEST_SECRET


def test_a_token_has_one_successor_whoever_asks() -> None:
    token = RefreshToken.generate()

    first = HmacRefreshTokenSuccession(TEST_SECRET).successor(token)
    second = HmacRefreshTokenSuccession(TEST_SECRET).successor(token)

    assert first == second
    assert first != token


def test_a_successor_cannot_be_derived_without_the_servers_secret() -> None:
    token = RefreshToken.generate()

    ours = HmacRefreshTokenSuccession(TEST_SECRET).successor(token)
    theirs = HmacRefreshTokenSuccession(OTHER_SECRET).successor(token)

    assert ours != theirs


def test_a_successor_is_spelled_like_a_fresh_token_with_256_bits() -> None:
    successor = HmacRefreshTokenSuccession(TEST_SECRET).successor(RefreshToken.generate())

    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", successor.value)
    assert len(base64.urlsafe_b64decode(successor.value + "=")) == 32
    assert len(successor.value) == len(RefreshToken.generate().value)


def test_each_generation_has_a_successor_of_its_own() -> None:
    succession = HmacRefreshTokenSuccession(TEST_SECRET)
    chain = [RefreshToken.generate()]
    for _ in range(5):
        chain.append(succession.successor(chain[-1]))

    assert len({token.value for token in chain}) == len(chain)
