"""Side by side with another implementation of the same API (BENCH_COMPARE_URL), such as the Node
original: the scenarios both have, in alternating rounds (Authgate, the other, Authgate, ...), each
round's req/s and p99, and Authgate's ratio to the other.

Authgate serves at cost 8 (FAST_COST, the original's own bcrypt cost) with the bench's server
settings. The other side's users are made through its own API: POST /api/auth/signup with
{username, email, password, roles}, POST /api/auth/signin answering an `accessToken`, which its
protected reads take from `x-access-token`. A protected read the other side does not serve
(404 to its seeded token) is left out of the comparison, and said so.

The scenarios: GET /api/test/all, /api/test/user and /api/test/admin (each with a token of a user
of that role), POST /api/auth/signin over SIGNIN_CLIENTS connections, and GET /api/test/user's
p99 while SIGNIN_CLIENTS others sign in (the mixed scenario; its ratio that counts is the p99's).
"""

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from bench.api import Api, signin_body
from bench.config import BenchConfig
from bench.database import bench_database
from bench.errors import BenchError
from bench.machine import listening_pid, usage
from bench.retries import retries_logged
from bench.scenarios import FAST_COST, SIGNIN_CLIENTS, local_database_pid
from bench.seed import RoleTokens, access_tokens, seed_roles, signin_users
from bench.server import ServiceConfig, running_server
from bench.wrk import Load, Wrk, WrkResult
from testkit.servers import HOST

_ROLE_READS = (
    ("user", "/api/test/user"),
    ("moderator", "/api/test/mod"),
    ("admin", "/api/test/admin"),
)
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class Side(StrEnum):
    AUTHGATE = "Authgate"
    OTHER = "other"


def round_order(rounds: int) -> list[tuple[int, Side]]:
    """The measured runs of one scenario, in order: round 1 Authgate then the other, round 2
    the same, ...: each side's rounds are spread over the same minutes, so that a neighbour's
    burst on the shared cores falls on both."""
    return [(number, side) for number in range(1, rounds + 1) for side in Side]


def ratio(ours: float, theirs: float) -> float | None:
    """Authgate's figure over the other's; None when the other's is 0."""
    return ours / theirs if theirs else None


def ratio_text(value: float | None) -> str:
    """2.5x, 0.9x, and 1/12 for a ratio of a half or less, as the issue's tables write them."""
    if value is None:
        return "-"
    if value > 0.5:
        return f"{value:.1f}x"
    return f"1/{1 / value:.0f}" if value > 0 else "0"


def range_text(values: Sequence[float | None]) -> str:
    """The rounds' ratios as a range, 2.5-2.6x, or one figure when they agree to the digit."""
    known = [value for value in values if value is not None]
    if not known:
        return "-"
    low, high = ratio_text(min(known)), ratio_text(max(known))
    return low if low == high else f"{low.removesuffix('x')}-{high}"


@dataclass(frozen=True, slots=True)
class Measured:
    """One round of one side: its first load's result (the mixed scenario: the reads)."""

    number: int
    side: Side
    result: WrkResult


@dataclass(frozen=True, slots=True)
class Comparison:
    key: str
    label: str
    rounds: list[Measured]
    by_p99: bool = False
    """The figure that counts is the p99 (the mixed scenario), not the rate."""

    def side(self, side: Side) -> list[WrkResult]:
        return [measured.result for measured in self.rounds if measured.side is side]

    def rate_ratios(self) -> list[float | None]:
        return [
            ratio(ours.requests_per_second, theirs.requests_per_second)
            for ours, theirs in zip(self.side(Side.AUTHGATE), self.side(Side.OTHER), strict=True)
        ]

    def p99_ratios(self) -> list[float | None]:
        return [
            ratio(ours.p99_ms, theirs.p99_ms)
            for ours, theirs in zip(self.side(Side.AUTHGATE), self.side(Side.OTHER), strict=True)
        ]

    def as_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "scenario": self.label,
            "rounds": [
                {"round": measured.number, "side": str(measured.side), **measured.result.as_json()}
                for measured in self.rounds
            ],
            "rate_ratios": _rounded(self.rate_ratios()),
            "p99_ratios": _rounded(self.p99_ratios()),
        }


_HEADER = (
    "side by side",
    "round",
    "A req/s",
    "A p99",
    "A cpu us",
    "A db us",
    "A retries",
    "A non2xx",
    "O req/s",
    "O p99",
    "O cpu us",
    "O db us",
    "O non2xx",
    "req/s x",
    "p99 x",
)


def comparison_lines(
    comparisons: Sequence[Comparison], other_url: str, skipped: Sequence[str] = ()
) -> list[str]:
    """The side-by-side table: a row per round, then each scenario's range over the rounds."""
    lines = [
        f"side by side: A = Authgate, O = {other_url} (rounds alternate A, O, A, O, ...;",
        "  req/s x: A's rate over O's; p99 x: A's p99 over O's, 1/12 is twelve times shorter;",
        "  cpu us, db us: the side's server and the database server, CPU time a request)",
        _columns(_HEADER),
    ]
    for comparison in comparisons:
        ours, theirs = comparison.side(Side.AUTHGATE), comparison.side(Side.OTHER)
        rates, p99s = comparison.rate_ratios(), comparison.p99_ratios()
        for index, (a, o) in enumerate(zip(ours, theirs, strict=True)):
            lines.append(
                _columns(
                    (
                        comparison.label,
                        str(index + 1),
                        f"{a.requests_per_second:.0f}",
                        f"{a.p99_ms:.1f}",
                        _microseconds(a.cpu_us_per_request),
                        _microseconds(a.database_cpu_us_per_request),
                        "-" if a.retries is None else str(a.retries),
                        str(a.non_2xx + a.socket_errors),
                        f"{o.requests_per_second:.0f}",
                        f"{o.p99_ms:.1f}",
                        _microseconds(o.cpu_us_per_request),
                        _microseconds(o.database_cpu_us_per_request),
                        str(o.non_2xx + o.socket_errors),
                        ratio_text(rates[index]),
                        ratio_text(p99s[index]),
                    )
                )
            )
        counts = "p99" if comparison.by_p99 else "req/s"
        lines.append(
            f"  {comparison.label}: req/s {range_text(rates)}, p99 {range_text(p99s)} "
            f"(the figure that counts: {counts})"
        )
    lines.extend(f"  not compared: {reason}" for reason in skipped)
    return lines


def _microseconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _columns(cells: tuple[str, ...]) -> str:
    label, *figures = cells
    return f"{label:<40}" + "".join(f"{figure:>10}" for figure in figures)


def _rounded(values: list[float | None]) -> list[float | None]:
    return [None if value is None else round(value, 3) for value in values]


@dataclass(frozen=True, slots=True)
class Target:
    """One side: where it answers, its process when it runs here (for its CPU time), and its
    log when the bench started it (for its retries)."""

    side: Side
    base_url: str
    pid: int | None
    log: Path | None
    tokens: RoleTokens
    token_files: dict[str, Path]
    """By role: DISTINCT_USERS users' access tokens, one a line, which the reads of that role
    spread over (bench/lua/tokens.lua)."""
    signins: Path
    """Its signin users' bodies, one JSON object a line (bench/lua/signin.lua)."""


@dataclass(frozen=True, slots=True)
class CompareResult:
    other_url: str
    comparisons: list[Comparison]
    skipped: list[str]

    def lines(self) -> list[str]:
        return comparison_lines(self.comparisons, self.other_url, self.skipped)

    def as_json(self) -> dict[str, object]:
        return {
            "other": self.other_url,
            "comparisons": [comparison.as_json() for comparison in self.comparisons],
            "not_compared": self.skipped,
        }

    @property
    def failures(self) -> list[str]:
        """Authgate's failed requests; the other side's are its own business, shown in the
        table."""
        return [
            f"compare: {measured.result.label} round {measured.number}: "
            f"{measured.result.socket_errors} socket errors, statuses {measured.result.statuses}"
            for comparison in self.comparisons
            for measured in comparison.rounds
            if measured.side is Side.AUTHGATE
            and (measured.result.socket_errors or measured.result.non_2xx)
        ]


def other_api(base_url: str) -> Api:
    parts = urlsplit(base_url)
    if parts.hostname is None:
        raise BenchError(f"BENCH_COMPARE_URL has no host: {base_url}")
    return Api(parts.port or 80, parts.hostname)


def other_pid(base_url: str) -> int | None:
    """The other side's process when it listens on this machine, for its CPU time."""
    parts = urlsplit(base_url)
    if parts.hostname not in _LOCAL_HOSTS:
        return None
    return listening_pid(parts.port or 80)


def seed_other(api: Api, files: Path) -> RoleTokens:
    """A user of each role on the other side, through its own signup (which there takes the
    roles from the body), and its signin users. The names are new each run, so that a database
    kept between runs does not refuse them as taken."""
    prefix = f"cmp{secrets.token_hex(3)}_"
    tokens = {}
    for role in ("user", "moderator", "admin"):
        username = f"{prefix}{role}"
        api.signup(username, roles=[role])
        tokens[role] = api.access_token(username)
    names = [f"{prefix}signin{index}" for index in range(SIGNIN_CLIENTS)]
    for username in names:
        api.signup(username, roles=["user"])
    _write_signins(files, names)
    return RoleTokens(user=tokens["user"], moderator=tokens["moderator"], admin=tokens["admin"])


def read_tokens(
    api: Api, prefix: str, folder: Path, served: Sequence[str], admin_token: str | None = None
) -> dict[str, Path]:
    """For each role whose reads are compared and served, its users' tokens in a file of
    `folder` (bench.seed.access_tokens)."""
    files: dict[str, Path] = {}
    for scenario in SCENARIOS:
        role = scenario.role
        if role is None or role in files or scenario.path not in served:
            continue
        files[role] = access_tokens(
            api,
            f"{prefix}{role}_",
            folder / f"{prefix}{role}.txt",
            role=role,
            admin_token=admin_token,
            check=scenario.path,
        )
    return files


def _write_signins(path: Path, usernames: Sequence[str]) -> None:
    path.write_text("".join(json.dumps(signin_body(name)) + "\n" for name in usernames))


def offered(api: Api, tokens: RoleTokens) -> tuple[list[str], list[str]]:
    """The role reads the other side serves to its seeded tokens, and why any is left out. A
    404 means it has no such endpoint; any other refusal means the seeding went wrong."""
    served, skipped = [], []
    for role, path in _ROLE_READS:
        status = api.status(path, getattr(tokens, role))
        if status == 404:
            skipped.append(f"GET {path}: the other side answers 404")
        elif status != 200:
            raise BenchError(f"the other side answered GET {path} {status} to its {role}'s token")
        else:
            served.append(path)
    return served, skipped


@dataclass(frozen=True, slots=True)
class CompareScenario:
    key: str
    label: str
    path: str
    """The first load's path: the row's figures are that load's."""
    role: str | None
    """Whose token the reads carry; None for none."""
    signin: bool = False
    """The load is signins (POST /api/auth/signin over the signin users)."""
    beside_signins: bool = False
    """SIGNIN_CLIENTS sign in meanwhile (the mixed scenario)."""


SCENARIOS = (
    CompareScenario("all", "GET /api/test/all", "/api/test/all", None),
    CompareScenario("user", "GET /api/test/user", "/api/test/user", "user"),
    CompareScenario("admin", "GET /api/test/admin", "/api/test/admin", "admin"),
    CompareScenario("signin", "POST /api/auth/signin, cost 8", "/api/auth/signin", None, True),
    CompareScenario(
        "mixed_user",
        f"GET /api/test/user, {SIGNIN_CLIENTS} signing in",
        "/api/test/user",
        "user",
        beside_signins=True,
    ),
)


def loads(scenario: CompareScenario, target: Target, connections: int) -> tuple[Load, ...]:
    signins = Load(
        f"{scenario.key}_signins",
        "POST /api/auth/signin",
        "/api/auth/signin",
        SIGNIN_CLIENTS,
        script="signin.lua",
        script_args=(str(target.signins),),
    )
    if scenario.signin:
        return (replace(signins, key=scenario.key, label=scenario.label),)
    reads = Load(scenario.key, scenario.label, scenario.path, connections)
    if scenario.role is not None:
        tokens = target.token_files[scenario.role]
        reads = replace(reads, script="tokens.lua", script_args=(str(tokens),))
    return (reads, signins) if scenario.beside_signins else (reads,)


@dataclass(frozen=True, slots=True)
class Compare:
    config: BenchConfig
    wrk: Wrk
    database_pid: int | None

    def run(self, targets: dict[Side, Target], served: Sequence[str]) -> list[Comparison]:
        comparisons = []
        for scenario in SCENARIOS:
            if scenario.role is not None and scenario.path not in served:
                continue
            print(f"compare: {scenario.label}", flush=True)
            for target in targets.values():
                if self.config.warmup:
                    self.wrk.run_at(
                        target.base_url,
                        loads(scenario, target, self.config.connections),
                        self.config.warmup,
                    )
            rounds = [
                Measured(number, side, self._measure(scenario, targets[side]))
                for number, side in round_order(self.config.compare_rounds)
            ]
            comparisons.append(
                Comparison(scenario.key, scenario.label, rounds, by_p99=scenario.beside_signins)
            )
        return comparisons

    def _measure(self, scenario: CompareScenario, target: Target) -> WrkResult:
        measured = loads(scenario, target, self.config.connections)
        # A mixed scenario's CPU time is its signins' too: no CPU a read for it.
        if target.pid is None or len(measured) > 1:
            with retries_logged(target.log) as retries:
                results = self.wrk.run_at(target.base_url, measured, self.config.duration)
            result = replace(results[0], retries=retries())
        else:
            with (
                retries_logged(target.log) as retries,
                usage(target.pid, self.database_pid) as used,
            ):
                results = self.wrk.run_at(target.base_url, measured, self.config.duration)
            result = replace(results[0], retries=retries(), machine=used())
        print(
            f"  {target.side}: {result.requests_per_second:.0f} req/s, p99 {result.p99_ms:.1f} ms"
            + ("" if result.non_2xx == 0 else f", {result.non_2xx} non-2xx"),
            flush=True,
        )
        return result


def compare(config: BenchConfig, wrk: Wrk, scratch: Path, log_prefix: str) -> CompareResult:
    """Authgate at cost 8 on a server and a throwaway database of its own (the bench's other
    servers have seeded theirs with the same names) beside the other side at
    BENCH_COMPARE_URL."""
    other_url = config.compare_url
    if other_url is None:
        raise BenchError("the comparison needs BENCH_COMPARE_URL")
    files = scratch / "compare"
    files.mkdir()
    api = other_api(other_url)
    other_signins = files / "other-signin.jsonl"
    other_tokens = seed_other(api, other_signins)
    served, skipped = offered(api, other_tokens)
    # New names each run, as seed_other's: a database kept between runs refuses taken ones.
    other_token_files = read_tokens(api, f"cmp{secrets.token_hex(3)}_", files, served)
    log = Path(f"{log_prefix}-server-compare.log")
    with bench_database(config.server_url) as database_url:
        service = ServiceConfig(
            database_url,
            config.workers,
            FAST_COST,
            scratch / "compare-data",
            secrets.token_urlsafe(48),
            config.server_root,
        )
        print(
            f"compare: Authgate, {config.workers} workers, BCRYPT_COST={FAST_COST}, database "
            f"{database_url.database} (dropped at the end), log {log}; the other side at "
            f"{other_url}",
            flush=True,
        )
        with running_server(service, log) as server:
            tokens = seed_roles(server)
            token_files = read_tokens(server.api, "cmp_", files, served, tokens.admin)
            signins = signin_users(
                server.api, "cmp_signin_", SIGNIN_CLIENTS, files / "signin.jsonl"
            )
            targets = {
                Side.AUTHGATE: Target(
                    Side.AUTHGATE,
                    f"http://{HOST}:{server.api.port}",
                    server.process.pid,
                    log,
                    tokens,
                    token_files,
                    signins,
                ),
                Side.OTHER: Target(
                    Side.OTHER,
                    other_url,
                    other_pid(other_url),
                    None,
                    other_tokens,
                    other_token_files,
                    other_signins,
                ),
            }
            database_pid = local_database_pid(database_url)
            comparisons = Compare(config, wrk, database_pid).run(targets, served)
    return CompareResult(other_url, comparisons, skipped)
