"""Where a configuration problem is, and how it is printed.

Every problem, from a YAML syntax error to a failed cross-check, becomes an `Issue` so that
`check-config` prints them all the same way: `FILE:LINE:COL: dotted.path: message`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.exceptions import ConfigError

ConfigPath = tuple[Hashable, ...]

ROOT_PATH = "<root>"
"""Printed as the dotted path of the top-level node."""

SYNTAX_PATH = "<yaml>"
"""Printed as the dotted path of a YAML syntax error, which has no place in the data."""


@dataclass(frozen=True, slots=True)
class Mark:
    """A position in a configuration file; `line` and `column` are 1-based."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    @classmethod
    def from_yaml(cls, file: str, mark: Any) -> Mark:
        """Convert a PyYAML mark (0-based, from either the C or the Python parser)."""
        return cls(file, int(mark.line) + 1, int(mark.column) + 1)


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem. `path` is None for syntax errors (there is no data to point into)."""

    mark: Mark
    path: ConfigPath | None
    message: str

    @property
    def where(self) -> str:
        return SYNTAX_PATH if self.path is None else dotted_path(self.path)

    def format(self) -> str:
        return f"{self.mark}: {self.where}: {self.message}"

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.mark.file, self.mark.line, self.mark.column, self.where, self.message)


def dotted_path(path: Sequence[Hashable]) -> str:
    """`("switch", 0, "pin")` -> `switch.0.pin`; the empty path is the root."""
    return ".".join(str(part) for part in path) or ROOT_PATH


def format_issues(issues: Iterable[Issue]) -> list[str]:
    """The printable lines, sorted by file and position, without repeats."""
    lines: dict[str, None] = {}
    for issue in sorted(issues, key=Issue.sort_key):
        lines.setdefault(issue.format())
    return list(lines)


def config_error(issues: Iterable[Issue]) -> ConfigError:
    return ConfigError(format_issues(issues))
