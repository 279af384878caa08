"""Load YAML keeping the position of every node; resolve !secret, !env_var and !include.

Errors must point at FILE:LINE:COL, so mappings and sequences come back as `NodeDict` and
`NodeList`, which remember where they, their keys and their items start. A tag that cannot be
resolved (missing secret, unset variable, unreadable include), a duplicate key or an unknown tag
does not stop the load: the value becomes None and an `Issue` is recorded, so that one run of
`check-config` reports every problem. Only a syntax error ends the file it is in.

Plain scalars follow the YAML 1.2 core schema rather than PyYAML's YAML 1.1: only true/false
are booleans, so `initial: off` and `payload_on: ON` stay strings and `pin: 010` is ten;
there are no timestamps and no base-60 numbers (`12:30` stays a string).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gateway.config.issues import ConfigPath, Issue, Mark, config_error
from gateway.exceptions import ConfigError

__all__ = [
    "DEFAULT_PARSER",
    "PARSERS",
    "LoadResult",
    "NodeDict",
    "NodeList",
    "find_mark",
    "load_document",
    "load_yaml",
]

SECRETS_FILE: Final = "secrets.yaml"

_TAG: Final = "tag:yaml.org,2002:"
_MERGE: Final = _TAG + "merge"


class NodeDict(dict[Any, Any]):
    """A mapping that remembers where it, each of its keys and each of its values start.

    Copies made by voluptuous (`type(data)()`) start without marks; only the loaded tree has them.
    """

    __slots__ = ("key_marks", "mark", "value_marks")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mark: Mark | None = None
        self.key_marks: dict[Any, Mark] = {}
        self.value_marks: dict[Any, Mark] = {}


class NodeList(list[Any]):
    """A sequence that remembers where it and each of its items start."""

    __slots__ = ("item_marks", "mark")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.mark: Mark | None = None
        self.item_marks: list[Mark] = []


@dataclass(frozen=True, slots=True, eq=False)
class _Invalid:
    """Stands in the tree for a value that could not be built, until `_Collector` reports it."""

    mark: Mark
    message: str
    syntax: bool = False


class _SyntaxProblem(Exception):
    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.format())
        self.issue = issue


@dataclass(slots=True)
class _Context:
    """What every file of one load shares: the parser, the environment, secrets, the include
    chain (for cycles) and the key problems found so far."""

    parser: type[_Loader]
    environ: Mapping[str, str]
    secrets_file: Path | None
    including: list[tuple[Path, str]] = field(default_factory=list)
    key_issues: list[tuple[NodeDict, Hashable | None, Mark, str]] = field(default_factory=list)
    secrets: dict[Any, Any] | str | None = None  # loaded secrets, why they cannot be, or not yet


@dataclass(frozen=True, slots=True)
class LoadResult:
    """A loaded tree and its problems.

    `invalid_paths` are the places where a value was replaced by None (or, for a syntax error in
    the top file, the root): schema errors at or below them only repeat the problem.
    """

    root: Any
    issues: tuple[Issue, ...]
    invalid_paths: tuple[ConfigPath, ...]


class _PyLoader(yaml.SafeLoader):
    """The pure-Python parser, for systems without libyaml."""

    file_name: str
    context: _Context


if TYPE_CHECKING or hasattr(yaml, "CSafeLoader"):

    class _CLoader(yaml.CSafeLoader):
        """The libyaml parser: several times faster on large configs, same marks."""

        file_name: str
        context: _Context


_Loader: TypeAlias = "_PyLoader | _CLoader"

PARSERS: dict[str, type[_Loader]] = {"python": _PyLoader}
if hasattr(yaml, "CSafeLoader"):
    PARSERS["c"] = _CLoader

DEFAULT_PARSER: str = "c" if "c" in PARSERS else "python"
"""The parser `load_document` uses unless told otherwise (tests run the corpus with both)."""


def load_yaml(path: Path) -> Any:
    """Load a configuration file (blocking: run it in a thread from the loop).

    Raises ConfigError with every problem found, each as `FILE:LINE:COL: dotted.path: message`.
    """
    result = load_document(path)
    if result.issues:
        raise config_error(result.issues)
    return result.root


def load_document(
    path: Path, *, environ: Mapping[str, str] | None = None, parser: str | None = None
) -> LoadResult:
    """Load a file and report its problems instead of raising them, so that the caller can
    validate what did load and report everything together.

    Raises ConfigError (`FILE: cannot read: reason`) only when the file itself cannot be read.
    """
    context = _Context(
        parser=PARSERS[parser or DEFAULT_PARSER],
        environ=os.environ if environ is None else environ,
        secrets_file=path.parent / SECRETS_FILE,
    )
    try:
        root = _parse_file(path, str(path), context)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {_reason(exc)}"]) from exc
    except _SyntaxProblem as exc:
        return LoadResult(None, (exc.issue,), ((),))
    return _Collector().collect(root, context)


def find_mark(root: Any, path: Sequence[Hashable], *, key: bool = False) -> Mark | None:
    """The position that best explains a problem at `path` (a voluptuous error path).

    That is the mark of the deepest node on the path that exists: for a missing required key,
    the mapping that lacks it. With `key=True` the last part names a key that should not be
    there, and its own mark is returned. None when the tree carries no marks (plain dicts).
    """
    node, best = root, _own_mark(root)
    for depth, part in enumerate(path):
        if isinstance(node, NodeDict) and part in node:
            if key and depth == len(path) - 1:
                return node.key_marks.get(part, best)
            child_mark = node.value_marks.get(part)
            node = node[part]
        elif isinstance(node, NodeList) and isinstance(part, int) and 0 <= part < len(node):
            child_mark = node.item_marks[part] if part < len(node.item_marks) else None
            node = node[part]
        else:
            break
        best = _own_mark(node) or child_mark or best
    return best


def _own_mark(node: Any) -> Mark | None:
    return node.mark if isinstance(node, NodeDict | NodeList) else None


# --- reading and parsing --------------------------------------------------------------------


def _parse_file(path: Path, name: str, context: _Context) -> Any:
    text = path.read_text(encoding="utf-8-sig")
    context.including.append((path.resolve(), name))
    try:
        return _parse_text(text, name, context)
    finally:
        context.including.pop()


def _parse_text(text: str, name: str, context: _Context) -> Any:
    loader = None
    try:
        loader = context.parser(text)  # the pure-Python reader checks characters already here
        loader.file_name = name
        loader.context = context
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        raise _SyntaxProblem(_syntax_issue(exc, name, text)) from None
    except yaml.reader.ReaderError as exc:
        issue = Issue(_position_mark(name, text, exc.position), None, str(exc).split("\n")[0])
        raise _SyntaxProblem(issue) from None
    except RecursionError:
        issue = Issue(Mark(name, 1, 1), None, "the document is nested too deeply")
        raise _SyntaxProblem(issue) from None
    finally:
        if loader is not None:
            loader.dispose()


def _syntax_issue(exc: yaml.MarkedYAMLError, name: str, text: str) -> Issue:
    yaml_mark = exc.problem_mark or exc.context_mark
    mark = Mark.from_yaml(name, yaml_mark) if yaml_mark else Mark(name, 1, 1)
    if _is_tab_indent(text, mark):
        return Issue(mark, None, "a tab character is used for indentation; indent with spaces")
    message = exc.problem or exc.context or "invalid YAML"
    if exc.problem and exc.context:
        started = exc.context_mark
        where = f" started at line {started.line + 1}" if started is not None else ""
        message = f"{exc.problem} ({exc.context}{where})"
    return Issue(mark, None, message)


def _is_tab_indent(text: str, mark: Mark) -> bool:
    lines = text.split("\n")
    if mark.line > len(lines):
        return False
    line = lines[mark.line - 1]
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    return "\t" in indent and mark.column <= len(indent) + 1


def _position_mark(name: str, text: str, position: Any) -> Mark:
    offset = position if isinstance(position, int) else 0
    line_start = text.rfind("\n", 0, offset) + 1
    return Mark(name, text.count("\n", 0, offset) + 1, offset - line_start + 1)


def _reason(exc: Exception) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)


def _mark(loader: _Loader, node: Node) -> Mark:
    return Mark.from_yaml(loader.file_name, node.start_mark)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


# --- building the tree ----------------------------------------------------------------------


def _construct_map(loader: _Loader, node: MappingNode) -> Iterator[NodeDict]:
    data = NodeDict()
    data.mark = _mark(loader, node)
    yield data  # filled afterwards, so that recursive aliases work as in PyYAML
    _fill_map(loader, node, data)


def _fill_map(loader: _Loader, node: MappingNode, data: NodeDict) -> None:
    """Merge keys (`<<`) may be overridden; a key written twice is an error (the first wins)."""
    explicit = sum(1 for key_node, _ in node.value if key_node.tag != _MERGE)
    loader.flatten_mapping(node)
    first_explicit = len(node.value) - explicit
    seen: set[Any] = set()
    for index, (key_node, value_node) in enumerate(node.value):
        key = loader.construct_object(key_node)
        key_mark = _mark(loader, key_node)
        if not _hashable(key):
            loader.context.key_issues.append((data, None, key_mark, "a key must be a scalar"))
            continue
        if index >= first_explicit:
            if key in seen:
                first = data.key_marks[key]
                message = f"duplicate key (first defined at line {first.line})"
                loader.context.key_issues.append((data, key, key_mark, message))
                continue
            seen.add(key)
        data[key] = loader.construct_object(value_node)
        data.key_marks[key] = key_mark
        data.value_marks[key] = _mark(loader, value_node)


def _construct_seq(loader: _Loader, node: SequenceNode) -> Iterator[NodeList]:
    data = NodeList()
    data.mark = _mark(loader, node)
    yield data
    for child in node.value:
        data.append(loader.construct_object(child))
        data.item_marks.append(_mark(loader, child))


def _construct_int(loader: _Loader, node: ScalarNode) -> int:
    text = loader.construct_scalar(node)
    digits = text.lstrip("+-")
    base = {"0x": 16, "0o": 8}.get(digits[:2], 10)
    return int(text, base)


def _guarded(construct: Callable[[Any, Any], Any]) -> Callable[[_Loader, Node], Any]:
    """An explicitly tagged scalar that does not parse (`!!float abc`) becomes an issue."""

    def guarded(loader: _Loader, node: Node) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, OverflowError, KeyError):
            return _Invalid(_mark(loader, node), f"not a valid {node.tag.rsplit(':', 1)[-1]}")

    return guarded


def _unknown_tag(loader: _Loader, node: Node) -> _Invalid:
    return _Invalid(_mark(loader, node), f"unknown tag {node.tag}")


# --- tags -----------------------------------------------------------------------------------


def _tag_argument(loader: _Loader, node: Node, tag: str) -> str | _Invalid:
    if isinstance(node, ScalarNode) and isinstance(node.value, str) and node.value.strip():
        return node.value.strip()
    return _Invalid(_mark(loader, node), f"{tag} needs a name")


def _construct_secret(loader: _Loader, node: Node) -> Any:
    name = _tag_argument(loader, node, "!secret")
    if isinstance(name, _Invalid):
        return name
    secrets = _secrets(loader.context)
    if isinstance(secrets, str):
        return _Invalid(_mark(loader, node), f"secret {name!r}: {secrets}")
    if name not in secrets:
        file = loader.context.secrets_file
        return _Invalid(_mark(loader, node), f"secret {name!r} is not defined in {file}")
    return secrets[name]


def _secrets(context: _Context) -> dict[Any, Any] | str:
    if context.secrets is None:
        context.secrets = _load_secrets(context)
    return context.secrets


def _load_secrets(context: _Context) -> dict[Any, Any] | str:
    """The secrets mapping, or why there is none (reported at every `!secret` that needs it)."""
    file = context.secrets_file
    if file is None:
        return f"!secret cannot be used inside {SECRETS_FILE}"
    inner = _Context(parser=context.parser, environ=context.environ, secrets_file=None)
    try:
        root = _parse_file(file, str(file), inner)
    except (OSError, UnicodeDecodeError) as exc:
        return f"cannot read {file}: {_reason(exc)}"
    except _SyntaxProblem as exc:
        return f"{file} is invalid: {exc.issue.format()}"
    result = _Collector().collect(root, inner)
    if result.issues:
        return f"{file} is invalid: {result.issues[0].format()}"
    if result.root is None:
        return {}
    if not isinstance(result.root, dict):
        return f"{file} must be a mapping of names to values"
    return result.root


def _construct_env_var(loader: _Loader, node: Node) -> Any:
    """`!env_var NAME` or `!env_var NAME default`; the value is a string."""
    argument = _tag_argument(loader, node, "!env_var")
    if isinstance(argument, _Invalid):
        return argument
    name, *default = argument.split(None, 1)
    value = loader.context.environ.get(name)
    if value is not None:
        return value
    if default:
        return default[0]
    return _Invalid(_mark(loader, node), f"environment variable {name} is not set")


def _construct_include(loader: _Loader, node: Node) -> Any:
    """`!include FILE`, relative to the including file; its nodes keep their own file name."""
    argument = _tag_argument(loader, node, "!include")
    if isinstance(argument, _Invalid):
        return argument
    context = loader.context
    path = Path(loader.file_name).parent / argument
    chain = [name for _, name in context.including]
    if path.resolve() in (resolved for resolved, _ in context.including):
        cycle = " -> ".join([*chain, str(path)])
        return _Invalid(_mark(loader, node), f"include cycle: {cycle}")
    try:
        return _parse_file(path, str(path), context)
    except (OSError, UnicodeDecodeError) as exc:
        return _Invalid(_mark(loader, node), f"cannot include {path}: {_reason(exc)}")
    except _SyntaxProblem as exc:
        return _Invalid(exc.issue.mark, exc.issue.message, syntax=True)


# --- reporting ------------------------------------------------------------------------------


class _Collector:
    """Walks a loaded tree once, without recursion (a deep document must not overflow the
    stack): replaces each `_Invalid` by None and turns it, and each key problem, into an
    `Issue` with the path where it sits."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.invalid_paths: list[ConfigPath] = []
        self.paths: dict[int, ConfigPath] = {}  # id of each container -> its path

    def collect(self, root: Any, context: _Context) -> LoadResult:
        root = self.resolve(root, ())
        pending: list[tuple[Any, ConfigPath]] = [(root, ())]
        while pending:
            node, path = pending.pop()
            if isinstance(node, NodeDict | NodeList) and id(node) not in self.paths:
                self.paths[id(node)] = path  # an alias is visited only once
                pending.extend(self.children(node, path))
        for container, key, mark, message in context.key_issues:
            base = self.paths.get(id(container), ())
            self.issues.append(Issue(mark, base if key is None else (*base, key), message))
        issues = sorted(self.issues, key=Issue.sort_key)
        return LoadResult(root, tuple(issues), tuple(self.invalid_paths))

    def children(self, node: NodeDict | NodeList, path: ConfigPath) -> list[tuple[Any, ConfigPath]]:
        keys: list[Any] = list(range(len(node)))
        if isinstance(node, NodeDict):
            for key in [key for key in node if isinstance(key, _Invalid)]:
                self.resolve(key, path)  # an unresolvable tag used as a mapping key
                del node[key]
            keys = list(node)
        found = []
        for key in keys:
            node[key] = value = self.resolve(node[key], (*path, key))
            found.append((value, (*path, key)))
        return found

    def resolve(self, value: Any, path: ConfigPath) -> Any:
        if not isinstance(value, _Invalid):
            return value
        self.issues.append(Issue(value.mark, None if value.syntax else path, value.message))
        self.invalid_paths.append(path)
        return None


# --- registration ---------------------------------------------------------------------------

_FLOAT_RE: Final = (
    r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"
    r"|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$"
)
_IMPLICIT: Final = (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("int", r"^[-+]?[0-9]+$|^[-+]?0o[0-7]+$|^[-+]?0x[0-9a-fA-F]+$", list("-+0123456789")),
    ("float", _FLOAT_RE, list("-+.0123456789")),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("merge", r"^(?:<<)$", ["<"]),
)


def _register(cls: type[_Loader]) -> None:
    cls.yaml_implicit_resolvers = {}
    for tag, pattern, first in _IMPLICIT:
        cls.add_implicit_resolver(_TAG + tag, re.compile(pattern), first)
    cls.add_constructor(_TAG + "map", _construct_map)
    cls.add_constructor(_TAG + "seq", _construct_seq)
    cls.add_constructor(_TAG + "bool", _guarded(SafeConstructor.construct_yaml_bool))
    cls.add_constructor(_TAG + "int", _guarded(_construct_int))
    cls.add_constructor(_TAG + "float", _guarded(SafeConstructor.construct_yaml_float))
    cls.add_constructor(_TAG + "timestamp", _guarded(SafeConstructor.construct_yaml_timestamp))
    cls.add_constructor("!secret", _construct_secret)
    cls.add_constructor("!env_var", _construct_env_var)
    cls.add_constructor("!include", _construct_include)
    cls.add_constructor(None, _unknown_tag)


for _cls in PARSERS.values():
    _register(_cls)
