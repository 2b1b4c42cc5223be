"""How many tests ran on each storage, printed at the end of every run (tests/conftest.py): a
parametrized test names its storage in its id (`[sqlite]`, `[settings_overrides0-postgres]`,
`[postgres-BLACK_HOLE]`, `[mysql-asyncmy]`)."""

from collections import Counter
from collections.abc import Iterable

STORAGE_IDS = ("memory", "sqlite", "mysql", "postgres", "redis")
OUTCOMES = ("passed", "failed", "error", "skipped")
NONE = "(none)"


def storage_of(nodeid: str) -> str:
    """The storage a test ran on, or NONE for a test that names none."""
    if not nodeid.endswith("]") or "[" not in nodeid:
        return NONE
    tokens = nodeid[nodeid.index("[") + 1 : -1].split("-")
    return next((token for token in tokens if token in STORAGE_IDS), NONE)


def count_by_storage(outcomes: Iterable[tuple[str, str]]) -> dict[str, Counter[str]]:
    """(outcome, nodeid) pairs, one per test, counted by storage then by outcome."""
    counts: dict[str, Counter[str]] = {}
    for outcome, nodeid in outcomes:
        counts.setdefault(storage_of(nodeid), Counter())[outcome] += 1
    return counts


def lines(counts: dict[str, Counter[str]]) -> list[str]:
    order = [*STORAGE_IDS, NONE]
    return [
        f"{storage:<9} "
        + ", ".join(f"{counts[storage][o]} {o}" for o in OUTCOMES if counts[storage][o])
        for storage in order
        if storage in counts
    ]
