"""The core's exceptions: one error that lists every problem with its field path."""

from __future__ import annotations

from typing import NamedTuple


class Problem(NamedTuple):
    """One thing wrong with a document: where (`links[3].timeout_ms`) and what."""

    loc: str
    msg: str

    def __str__(self) -> str:
        return f"{self.loc}: {self.msg}" if self.loc else self.msg


class PatternsError(Exception):
    """Base class of every error the simulation core raises on purpose."""


class ScenarioError(PatternsError, ValueError):
    """A scenario (or a fault injected live) does not validate; `problems` says why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def as_json(self) -> list[dict[str, str]]:
        """The problems as the API answers them: `[{"loc": ..., "msg": ...}]`."""
        return [{"loc": p.loc, "msg": p.msg} for p in self.problems]
