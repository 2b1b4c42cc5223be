from dataclasses import dataclass, field


@dataclass
class ClusterReport:
    """What each cluster check saw, printed at the end of the run."""

    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        self.lines.append(line)
