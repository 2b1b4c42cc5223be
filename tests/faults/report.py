from collections import Counter
from dataclasses import dataclass, field


@dataclass
class FaultReport:
    """What each fault made the service answer, printed at the end of the run."""

    lines: list[str] = field(default_factory=list)

    def add(
        self,
        server: str,
        fault: str,
        answers: Counter[str],
        slowest: float,
        recovery: float | None,
    ) -> None:
        counts = ", ".join(f"{answer} x{n}" for answer, n in sorted(answers.items()))
        recovered = "never" if recovery is None else f"{recovery:.2f} s"
        self.lines.append(
            f"{server:<10} {fault:<11} {counts}; slowest answer {slowest:.2f} s;"
            f" 200 again after {recovered}"
        )
