"""The corpus of broken configurations: each file lists, in its opening comments, every error
it must produce (`# expect: [FILE:]LINE:COL: dotted.path: message-substring`, FILE relative to
the case, default the case itself). Run with both YAML parsers, which word syntax errors
differently but must agree on positions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import takewhile
from pathlib import Path

import pytest

from gateway.config import HostInfo, ResolveSchema, load_config, yaml_loader
from gateway.exceptions import ConfigError

BROKEN = Path(__file__).parent / "data" / "broken"
EXPECT_RE = re.compile(
    r"^# expect: (?:(?P<file>[^\s:]+):)?(?P<line>\d+):(?P<column>\d+): "
    r"(?P<path>\S+): (?P<message>.+)$"
)
ERROR_RE = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): (?P<path>\S+): (?P<message>.*)$"
)


@dataclass(frozen=True)
class Located:
    file: Path
    line: int
    column: int
    path: str
    message: str

    def matches(self, actual: Located) -> bool:
        """Same place and path; the expected message is a substring of the actual one."""
        place = (self.file.resolve(), self.line, self.column, self.path)
        return place == (actual.file.resolve(), actual.line, actual.column, actual.path) and (
            self.message in actual.message
        )


def cases() -> list[Path]:
    return sorted(
        path
        for path in BROKEN.rglob("*.yaml")
        if path.name != "secrets.yaml" and "included" not in path.relative_to(BROKEN).parts
    )


def expectations(case: Path) -> list[Located]:
    header = takewhile(lambda line: line.startswith("#"), case.read_text().splitlines())
    found = []
    for line in header:
        if match := EXPECT_RE.match(line):
            file = case.parent / match["file"] if match["file"] else case
            found.append(_located(file, match))
    return found


def parse_error(line: str) -> Located:
    match = ERROR_RE.match(line)
    assert match, f"not FILE:LINE:COL: path: message: {line!r}"
    return _located(Path(match["file"]), match)


def _located(file: Path, match: re.Match[str]) -> Located:
    return Located(file, int(match["line"]), int(match["column"]), match["path"], match["message"])


@pytest.fixture(params=sorted(yaml_loader.PARSERS))
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    name: str = request.param
    monkeypatch.setattr(yaml_loader, "DEFAULT_PARSER", name)
    return name


def test_corpus_covers_enough_cases() -> None:
    assert len(cases()) >= 24


@pytest.mark.parametrize("case", cases(), ids=lambda path: str(path.relative_to(BROKEN)))
def test_broken_config_reports_every_expected_error(
    case: Path, parser: str, resolve_schema: ResolveSchema, host: HostInfo
) -> None:
    expected = expectations(case)
    assert expected, f"{case.name} must list its errors in '# expect:' lines"

    with pytest.raises(ConfigError) as info:
        load_config(case, resolve_schema, host=host)

    report = "\n".join(info.value.errors)
    unmatched = [parse_error(line) for line in info.value.errors]
    for want in expected:
        found = next((actual for actual in unmatched if want.matches(actual)), None)
        assert found is not None, f"missing {want}\nreported ({parser}):\n{report}"
        unmatched.remove(found)
    assert not unmatched, f"unexpected errors ({parser}):\n{report}"
    located = [parse_error(line) for line in info.value.errors]
    positions = [(str(item.file), item.line, item.column) for item in located]
    assert positions == sorted(positions), "errors are sorted by file and position"
