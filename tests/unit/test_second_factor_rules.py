"""The second factor's rules as pure code: time steps, the accepted window, replay, recovery
codes, and the two-step signin."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.second_factor import (
    NEVER_USED,
    RECOVERY_ALPHABET,
    RECOVERY_CODE_COUNT,
    SecondFactorMethod,
    SigninMethod,
    SigninState,
    SigninStepRefused,
    candidate_steps,
    matching_step,
    new_recovery_codes,
    next_signin_state,
    normalize_recovery_code,
    time_step,
)

MOMENT = datetime.fromtimestamp(1_111_111_109, UTC)  # an RFC 6238 test time: step 37037036


def test_a_step_is_thirty_seconds_from_the_epoch() -> None:
    assert time_step(datetime.fromtimestamp(59, UTC)) == 1
    assert time_step(datetime.fromtimestamp(60, UTC)) == 2
    assert time_step(MOMENT) == 37_037_036
    assert time_step(MOMENT + timedelta(seconds=0.999)) == 37_037_036


def test_the_step_before_and_after_are_accepted() -> None:
    assert candidate_steps(MOMENT, NEVER_USED) == [37_037_035, 37_037_036, 37_037_037]


def test_steps_up_to_the_last_used_one_are_not() -> None:
    assert candidate_steps(MOMENT, 37_037_035) == [37_037_036, 37_037_037]
    assert candidate_steps(MOMENT, 37_037_036) == [37_037_037]
    assert candidate_steps(MOMENT, 37_037_037) == []


def test_a_code_matches_its_step_and_the_earliest_wins() -> None:
    codes = {10: "111111", 11: "222222", 12: "111111"}

    assert matching_step("222222", codes) == 11
    assert matching_step(" 111 111 ", codes) == 10
    assert matching_step("333333", codes) is None


@pytest.mark.parametrize(
    "malformed", ["", "12345", "1234567", "12345a", "\uff11\uff12\uff13\uff14\uff15\uff16"]
)
def test_what_is_not_six_ascii_digits_matches_nothing(malformed: str) -> None:
    assert matching_step(malformed, {1: malformed, 2: "123456"}) is None


def test_recovery_codes_are_ten_distinct_codes_of_at_least_fifty_bits() -> None:
    codes = new_recovery_codes()

    assert len(codes) == RECOVERY_CODE_COUNT == 10
    assert len({code.value for code in codes}) == 10
    for code in codes:
        groups = code.value.split("-")
        assert [len(group) for group in groups] == [4, 4, 4]
        assert set(code.normalized) <= set(RECOVERY_ALPHABET)
    assert len(RECOVERY_ALPHABET) ** len(codes[0].normalized) > 2**50
    assert not set("01ilo") & set(RECOVERY_ALPHABET)


def test_case_dashes_and_spaces_are_ignored_in_a_recovery_code() -> None:
    code = new_recovery_codes()[0]
    expected = code.value.replace("-", "")

    for typed in (code.value, code.value.upper(), expected, f" {code.value.replace('-', ' ')} "):
        assert normalize_recovery_code(typed) == expected


@pytest.mark.parametrize("text", ["", "abcd-efgh", "abcd-efgh-jkmn-p", "abcd-efgh-jkm0", "ä" * 12])
def test_what_cannot_be_a_recovery_code_is_refused_before_any_look_up(text: str) -> None:
    assert normalize_recovery_code(text) is None


def test_signin_takes_a_second_step_only_with_a_second_factor() -> None:
    start = SigninState.AWAITING_PASSWORD

    assert next_signin_state(start, second_factor=False) is SigninState.SIGNED_IN
    assert next_signin_state(start, second_factor=True) is SigninState.AWAITING_SECOND_FACTOR
    assert (
        next_signin_state(SigninState.AWAITING_SECOND_FACTOR, second_factor=True)
        is SigninState.SIGNED_IN
    )
    with pytest.raises(SigninStepRefused):
        next_signin_state(SigninState.SIGNED_IN, second_factor=True)


def test_a_signin_records_what_it_proved() -> None:
    assert SigninMethod.after(SecondFactorMethod.TOTP) == "password+totp"
    assert SigninMethod.after(SecondFactorMethod.RECOVERY_CODE) == "password+recovery_code"
    assert SigninMethod.PASSWORD.value == "password"
