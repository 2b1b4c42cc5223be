"""The bench's side-by-side mode: the rounds alternate, the ratios are Authgate's over the other's,
the table shows each round and each scenario's range, and its settings are checked up front."""

from dataclasses import replace

import pytest

from bench.compare import (
    Comparison,
    Measured,
    Side,
    comparison_lines,
    range_text,
    ratio,
    ratio_text,
    round_order,
)
from bench.config import BenchConfig
from bench.errors import BenchError
from bench.machine import MachineUsage
from bench.wrk import WrkResult

OTHER = "http://127.0.0.1:18601"


def result(rate: float, p99_ms: float, *, retries: int | None = 0, non_2xx: int = 0) -> WrkResult:
    requests = round(rate * 6)
    return WrkResult(
        key="user",
        label="GET /api/test/user",
        connections=16,
        requests=requests,
        seconds=6.0,
        p50_ms=p99_ms / 4,
        p90_ms=p99_ms / 2,
        p99_ms=p99_ms,
        p999_ms=p99_ms * 2,
        socket_errors=0,
        statuses={200: requests - non_2xx, 429: non_2xx} if non_2xx else {200: requests},
        retries=retries,
    )


def comparison(*pairs: tuple[WrkResult, WrkResult], by_p99: bool = False) -> Comparison:
    rounds = [
        Measured(number, side, pair[0] if side is Side.AUTHGATE else pair[1])
        for number, pair in enumerate(pairs, start=1)
        for side in Side
    ]
    return Comparison("user", "GET /api/test/user", rounds, by_p99=by_p99)


def test_rounds_alternate_authgate_first() -> None:
    assert round_order(2) == [
        (1, Side.AUTHGATE),
        (1, Side.OTHER),
        (2, Side.AUTHGATE),
        (2, Side.OTHER),
    ]
    assert round_order(1) == [(1, Side.AUTHGATE), (1, Side.OTHER)]


def test_a_ratio_is_authgates_figure_over_the_others() -> None:
    assert ratio(4500.0, 1800.0) == pytest.approx(2.5)
    assert ratio(1.0, 0.0) is None


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2.54, "2.5x"),
        (1.0, "1.0x"),
        (0.96, "1.0x"),
        (0.62, "0.6x"),
        (0.5, "1/2"),
        (1 / 12, "1/12"),
        (None, "-"),
        (0.0, "0"),
    ],
)
def test_ratios_read_as_the_issue_writes_them(value: float | None, text: str) -> None:
    assert ratio_text(value) == text


def test_the_rounds_ratios_read_as_a_range() -> None:
    assert range_text([2.52, 2.61]) == "2.5-2.6x"
    assert range_text([2.52, 2.54]) == "2.5x"
    assert range_text([1 / 12, 1 / 10]) == "1/12-1/10"
    assert range_text([None, None]) == "-"


def test_each_rounds_ratios_pair_the_same_rounds() -> None:
    compared = comparison(
        (result(4500, 8.0), result(1800, 20.0)), (result(4000, 10.0), result(2000, 20.0))
    )

    assert compared.rate_ratios() == [pytest.approx(2.5), pytest.approx(2.0)]
    assert compared.p99_ratios() == [pytest.approx(0.4), pytest.approx(0.5)]


def test_the_table_has_a_row_a_round_and_a_range_per_scenario() -> None:
    compared = comparison(
        (result(4500, 8.0, retries=3), result(1800, 20.0, retries=None, non_2xx=2)),
        (result(4000, 10.0), result(2000, 20.0, retries=None)),
    )

    lines = comparison_lines([compared], OTHER, ["GET /api/test/mod: the other side answers 404"])

    assert OTHER in lines[0]
    rows = [line for line in lines if line.startswith("GET /api/test/user")]
    assert len(rows) == 2
    first = rows[0].split()
    # label (2 words), round, A req/s, A p99, A cpu us, A db us, A retries, A non-2xx, O req/s,
    # O p99, O cpu us, O db us, O non-2xx, the ratios
    assert first[2:] == [
        *("1", "4500", "8.0", "-", "-", "3", "0"),
        *("1800", "20.0", "-", "-", "2"),
        *("2.5x", "1/2"),
    ]
    assert "  GET /api/test/user: req/s 2.0-2.5x, p99 1/2 (the figure that counts: req/s)" in lines
    assert lines[-1] == "  not compared: GET /api/test/mod: the other side answers 404"


def test_each_side_shows_its_servers_and_the_databases_cpu_a_request() -> None:
    # 27,000 requests each side; the database is the same server, measured during each side's run.
    ours = replace(
        result(4500, 8.0),
        machine=MachineUsage(
            8.1, server_share=0.6, busy_share=0.9, steal_share=0.0, database_cpu_seconds=2.16
        ),
    )
    theirs = replace(
        result(4500, 20.0),
        machine=MachineUsage(
            27.0, server_share=0.7, busy_share=0.95, steal_share=0.0, database_cpu_seconds=6.75
        ),
    )

    row = next(
        line
        for line in comparison_lines([comparison((ours, theirs))], OTHER)
        if line.startswith("GET /api/test/user")
    )

    ours_cpu, their_cpu = row.split()[5:7], row.split()[11:13]
    assert (ours_cpu, their_cpu) == (["300", "80"], ["1000", "250"])


def test_the_mixed_scenario_counts_by_its_p99() -> None:
    compared = comparison((result(900, 20.0), result(300, 240.0)), by_p99=True)

    assert comparison_lines([compared], OTHER)[-1].endswith(
        "req/s 3.0x, p99 1/12 (the figure that counts: p99)"
    )


def test_the_compare_settings() -> None:
    config = BenchConfig.from_env(
        {"BENCH_COMPARE_URL": f"{OTHER}/", "BENCH_COMPARE_ROUNDS": "3", "BENCH_ONLY": "compare"}
    )

    assert config.compare_url == OTHER
    assert config.compare_rounds == 3
    assert config.compare_only
    plain = BenchConfig.from_env({})
    assert plain.compare_url is None
    assert plain.compare_rounds == 2
    assert not plain.compare_only


@pytest.mark.parametrize(
    "env",
    [
        {"BENCH_ONLY": "compare"},
        {"BENCH_ONLY": "reads", "BENCH_COMPARE_URL": OTHER},
        {"BENCH_COMPARE_URL": "127.0.0.1:18601"},
        {"BENCH_COMPARE_URL": f"{OTHER}/api"},
        {"BENCH_COMPARE_URL": "https://example.com"},
        {"BENCH_COMPARE_ROUNDS": "0", "BENCH_COMPARE_URL": OTHER},
    ],
)
def test_wrong_compare_settings_stop_the_bench_up_front(env: dict[str, str]) -> None:
    with pytest.raises(BenchError):
        BenchConfig.from_env(env)
