"""The YAML loader: marks, YAML 1.2 scalars, tags, includes, duplicate keys, syntax errors."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import voluptuous as vol

from gateway.config import Mark, NodeDict, NodeList, find_mark, load_document, load_yaml
from gateway.config.yaml_loader import PARSERS, LoadResult
from gateway.exceptions import ConfigError


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture(params=sorted(PARSERS))
def parser(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def load(path: Path, parser: str, environ: dict[str, str] | None = None) -> LoadResult:
    return load_document(path, environ=environ or {}, parser=parser)


def messages(result: LoadResult) -> list[str]:
    return [issue.format() for issue in result.issues]


# --- marks ----------------------------------------------------------------------------------


def test_marks_of_mappings_keys_values_and_items(tmp_path: Path, parser: str) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        """
        mqtt:
          host: broker
        switch:
          - {platform: gpio, pin: 17}
          - platform: virtual
        """,
    )
    root = load(path, parser).root
    file = str(path)

    assert isinstance(root, NodeDict)
    assert root.mark == Mark(file, 1, 1)
    assert root.key_marks["switch"] == Mark(file, 3, 1)
    mqtt = root["mqtt"]
    assert mqtt.mark == Mark(file, 2, 3)
    assert mqtt.value_marks["host"] == Mark(file, 2, 9)
    switches = root["switch"]
    assert isinstance(switches, NodeList)
    assert switches.item_marks == [Mark(file, 4, 5), Mark(file, 5, 5)]
    assert switches[0].value_marks["pin"] == Mark(file, 4, 27)


def test_loaded_nodes_compare_equal_to_plain_data(tmp_path: Path, parser: str) -> None:
    path = write(tmp_path, "c.yaml", "a: [1, {b: c}]\n")
    assert load(path, parser).root == {"a": [1, {"b": "c"}]}


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_an_empty_document_is_none(tmp_path: Path, parser: str, text: str) -> None:
    result = load(write(tmp_path, "c.yaml", text), parser)
    assert result.root is None
    assert result.issues == ()


def test_aliases_and_merge_keys(tmp_path: Path, parser: str) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        """
        base: &base {pin: 1, active_high: false}
        one: {<<: *base, pin: 2}
        two: *base
        """,
    )
    result = load(path, parser)
    assert result.issues == ()
    assert result.root["one"] == {"pin": 2, "active_high": False}
    assert result.root["two"] is result.root["base"]


# --- scalars --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("on", "on"),
        ("off", "off"),
        ("yes", "yes"),
        ("ON", "ON"),
        ("true", True),
        ("False", False),
        ("010", 10),
        ("0o10", 8),
        ("0x1f", 31),
        ("-5", -5),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("12:30", "12:30"),
        ("2024-01-01", "2024-01-01"),
        ("~", None),
        ("null", None),
        ("3.1.1", "3.1.1"),
        ("'5'", "5"),
    ],
)
def test_plain_scalars_follow_yaml_1_2(tmp_path: Path, parser: str, text: str, value: Any) -> None:
    loaded = load(write(tmp_path, "c.yaml", f"v: {text}\n"), parser).root["v"]
    assert loaded == value
    assert type(loaded) is type(value)


def test_a_badly_tagged_scalar_is_an_issue(tmp_path: Path, parser: str) -> None:
    text = "a: !!int twelve\nb: !!float x\nc: !!bool maybe\nd: !!timestamp 2024-13-45\n"
    result = load(write(tmp_path, "c.yaml", text), parser)
    assert result.root == {"a": None, "b": None, "c": None, "d": None}
    assert [(issue.where, issue.message) for issue in result.issues] == [
        ("a", "not a valid int"),
        ("b", "not a valid float"),
        ("c", "not a valid bool"),
        ("d", "not a valid timestamp"),
    ]


def test_an_unresolvable_tag_used_as_a_key_is_an_issue(tmp_path: Path, parser: str) -> None:
    result = load(write(tmp_path, "c.yaml", "m:\n  ? !env_var NOPE\n  : 1\n  b: 2\n"), parser)
    assert result.root == {"m": {"b": 2}}
    assert [(issue.mark.line, issue.where) for issue in result.issues] == [(2, "m")]


@pytest.mark.parametrize("depth", [600, 5000])
def test_a_deeply_nested_document_is_handled(tmp_path: Path, parser: str, depth: int) -> None:
    path = write(tmp_path, "c.yaml", "a: " + "{b: " * depth + "1" + "}" * depth + "\n")
    result = load(path, parser)
    if result.issues:  # each parser has its own depth limit
        assert result.issues[0].where == "<yaml>"
        assert "nest" in result.issues[0].message
    else:
        assert result.root["a"]["b"]["b"]["b"] is not None


# --- duplicate keys -------------------------------------------------------------------------


def test_duplicate_key_is_reported_at_the_second_and_the_first_wins(
    tmp_path: Path, parser: str
) -> None:
    path = write(tmp_path, "c.yaml", "mqtt:\n  port: 1\n  port: 2\n")
    result = load(path, parser)
    assert result.root == {"mqtt": {"port": 1}}
    assert messages(result) == [f"{path}:3:3: mqtt.port: duplicate key (first defined at line 2)"]
    assert result.invalid_paths == ()


def test_a_mapping_used_as_a_key_is_an_issue(tmp_path: Path, parser: str) -> None:
    result = load(write(tmp_path, "c.yaml", "a:\n  ? {b: 1}\n  : c\n"), parser)
    assert result.root == {"a": {}}
    assert [issue.where for issue in result.issues] == ["a"]


# --- !secret --------------------------------------------------------------------------------


def test_secret_reads_secrets_beside_the_top_level_file(tmp_path: Path, parser: str) -> None:
    write(tmp_path, "secrets.yaml", "password: hunter2\nport: 1884\n")
    write(tmp_path, "sub/mqtt.yaml", "password: !secret password\n")
    write(tmp_path, "sub/secrets.yaml", "password: wrong\n")
    path = write(tmp_path, "c.yaml", "mqtt: !include sub/mqtt.yaml\nport: !secret port\n")
    result = load(path, parser)
    assert result.issues == ()
    assert result.root == {"mqtt": {"password": "hunter2"}, "port": 1884}


def test_missing_secret_is_reported_at_the_tag(tmp_path: Path, parser: str) -> None:
    write(tmp_path, "secrets.yaml", "password: hunter2\n")
    path = write(tmp_path, "c.yaml", "a: 1\nb: !secret passwd\n")
    result = load(path, parser)
    assert result.root == {"a": 1, "b": None}
    assert result.invalid_paths == (("b",),)
    assert messages(result) == [
        f"{path}:2:4: b: secret 'passwd' is not defined in {tmp_path / 'secrets.yaml'}"
    ]


def test_missing_secrets_file_is_reported_at_every_tag(tmp_path: Path, parser: str) -> None:
    path = write(tmp_path, "c.yaml", "a: !secret x\nb: !secret y\n")
    result = load(path, parser)
    assert [(issue.mark.line, issue.where) for issue in result.issues] == [(1, "a"), (2, "b")]
    assert all("cannot read" in issue.message for issue in result.issues)


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        ("a: [1\n", "is invalid"),
        ("- a\n", "must be a mapping"),
        ("a: 1\na: 2\n", "duplicate key"),
        ("a: !secret b\n", "cannot be used inside"),
    ],
)
def test_a_broken_secrets_file_is_reported_at_the_tag(
    tmp_path: Path, parser: str, secrets: str, message: str
) -> None:
    write(tmp_path, "secrets.yaml", secrets)
    result = load(write(tmp_path, "c.yaml", "v: !secret a\n"), parser)
    assert [issue.where for issue in result.issues] == ["v"]
    assert message in result.issues[0].message


def test_secret_needs_a_name(tmp_path: Path, parser: str) -> None:
    result = load(write(tmp_path, "c.yaml", "v: !secret\n"), parser)
    assert "!secret needs a name" in result.issues[0].message


# --- !env_var -------------------------------------------------------------------------------


def test_env_var(tmp_path: Path, parser: str) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        """
        set: !env_var BROKER
        default: !env_var NOT_SET some default
        missing: !env_var NOT_SET
        """,
    )
    result = load(path, parser, {"BROKER": "10.0.0.2"})
    assert result.root == {"set": "10.0.0.2", "default": "some default", "missing": None}
    assert messages(result) == [f"{path}:3:10: missing: environment variable NOT_SET is not set"]


def test_env_var_reads_the_process_environment_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOARDGATE_TEST_BROKER", "broker.lan")
    path = write(tmp_path, "c.yaml", "host: !env_var BOARDGATE_TEST_BROKER\n")
    assert load_yaml(path) == {"host": "broker.lan"}


# --- !include -------------------------------------------------------------------------------


def test_include_is_relative_to_the_including_file_and_keeps_its_marks(
    tmp_path: Path, parser: str
) -> None:
    write(tmp_path, "conf/entities/switches.yaml", "- {platform: gpio, pin: 5}\n")
    write(tmp_path, "conf/entities.yaml", "switch: !include entities/switches.yaml\n")
    path = write(tmp_path, "conf/main.yaml", "# top\nall: !include entities.yaml\n")
    result = load(path, parser)
    assert result.issues == ()
    assert result.root == {"all": {"switch": [{"platform": "gpio", "pin": 5}]}}
    switches_file = str(tmp_path / "conf/entities/switches.yaml")
    assert find_mark(result.root, ["all", "switch", 0, "pin"]) == Mark(switches_file, 1, 25)
    assert result.root.value_marks["all"] == Mark(str(path), 2, 6)


def test_include_cycle_is_reported_at_the_closing_tag(tmp_path: Path, parser: str) -> None:
    write(tmp_path, "a.yaml", "b: !include b.yaml\n")
    write(tmp_path, "b.yaml", "a: !include a.yaml\n")
    path = write(tmp_path, "c.yaml", "a: !include a.yaml\n")
    result = load(path, parser)
    assert result.root == {"a": {"b": {"a": None}}}
    [issue] = result.issues
    assert issue.mark == Mark(str(tmp_path / "b.yaml"), 1, 4)
    assert issue.where == "a.b.a"
    assert issue.message.startswith("include cycle: ")
    assert issue.message.endswith(
        "a.yaml -> " + str(tmp_path / "b.yaml") + " -> " + str(tmp_path / "a.yaml")
    )


def test_including_the_same_file_twice_is_not_a_cycle(tmp_path: Path, parser: str) -> None:
    write(tmp_path, "x.yaml", "1\n")
    path = write(tmp_path, "c.yaml", "a: !include x.yaml\nb: !include x.yaml\n")
    assert load(path, parser).root == {"a": 1, "b": 1}


def test_missing_include_is_reported_at_the_tag(tmp_path: Path, parser: str) -> None:
    path = write(tmp_path, "c.yaml", "a: !include nope.yaml\n")
    result = load(path, parser)
    assert messages(result) == [
        f"{path}:1:4: a: cannot include {tmp_path / 'nope.yaml'}: No such file or directory"
    ]
    assert result.invalid_paths == (("a",),)


def test_syntax_error_in_an_include_names_the_included_file(tmp_path: Path, parser: str) -> None:
    write(tmp_path, "x.yaml", "a: b: c\n")
    path = write(tmp_path, "c.yaml", "x: !include x.yaml\ny: 1\n")
    result = load(path, parser)
    [issue] = result.issues
    assert (issue.mark.file, issue.mark.line, issue.where) == (
        str(tmp_path / "x.yaml"),
        1,
        "<yaml>",
    )
    assert result.root == {"x": None, "y": 1}
    assert result.invalid_paths == (("x",),)


def test_unknown_tag_is_an_issue(tmp_path: Path, parser: str) -> None:
    result = load(write(tmp_path, "c.yaml", "a: !includ x.yaml\n"), parser)
    assert messages(result)[0].endswith("a: unknown tag !includ")


# --- syntax and reading ---------------------------------------------------------------------


def test_syntax_error_has_the_common_format(tmp_path: Path, parser: str) -> None:
    path = write(tmp_path, "c.yaml", "mqtt:\n  host: [a, b\n")
    result = load(path, parser)
    [issue] = result.issues
    assert issue.format().startswith(f"{path}:3:1: <yaml>: ")
    assert "expected ',' or ']'" in issue.message
    assert "started at line 2" in issue.message
    assert result.root is None
    assert result.invalid_paths == ((),)


def test_tab_indentation_gets_its_own_message(tmp_path: Path, parser: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("mqtt:\n  port: 1\n\thost: x\n")
    [issue] = load(path, parser).issues
    assert (issue.mark.line, issue.mark.column) == (3, 1)
    assert "tab character" in issue.message


def test_control_character_is_located(tmp_path: Path, parser: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("a: 1\nb: x\x07y\n")
    [issue] = load(path, parser).issues
    assert (issue.mark.line, issue.mark.column, issue.where) == (2, 5, "<yaml>")
    assert "#x0007" in issue.message


def test_two_documents_are_a_syntax_error(tmp_path: Path, parser: str) -> None:
    result = load(write(tmp_path, "c.yaml", "a: 1\n---\nb: 2\n"), parser)
    assert "single document" in result.issues[0].message


def test_load_yaml_raises_every_issue(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "a: !env_var BOARDGATE_TEST_UNSET_1\nb: !nope x\n")
    with pytest.raises(ConfigError) as info:
        load_yaml(path)
    assert info.value.errors == [
        f"{path}:1:4: a: environment variable BOARDGATE_TEST_UNSET_1 is not set",
        f"{path}:2:4: b: unknown tag !nope",
    ]


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_yaml(tmp_path / "missing.yaml")
    assert info.value.errors == [
        f"{tmp_path / 'missing.yaml'}: cannot read: No such file or directory"
    ]


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"c\.yaml: cannot read: 'utf-8' codec"):
        load_yaml(path)


def test_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert load_yaml(path) == {"a": 1}


# --- find_mark ------------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Any:
    path = write(
        tmp_path,
        "c.yaml",
        """
        mqtt:
          port: x
        switch:
          - platform: gpio
            pin: 5
        """,
    )
    return load_document(path).root


def test_find_mark_returns_the_value(tree: Any) -> None:
    assert find_mark(tree, ["mqtt", "port"]) == tree["mqtt"].value_marks["port"]
    assert find_mark(tree, ["switch", 0, "pin"]).line == 5  # type: ignore[union-attr]


def test_find_mark_of_a_missing_key_is_the_mapping_that_lacks_it(tree: Any) -> None:
    assert find_mark(tree, ["switch", 0, "name"]) == tree["switch"][0].mark
    assert find_mark(tree, ["gpio", "pin_factory"]) == tree.mark


def test_find_mark_accepts_voluptuous_markers_in_the_path(tree: Any) -> None:
    assert find_mark(tree, ["switch", 0, vol.Required("name")]) == tree["switch"][0].mark
    assert find_mark(tree, ["switch", 0, vol.Required("pin")]).line == 5  # type: ignore[union-attr]


def test_find_mark_of_an_extra_key_is_the_key(tree: Any) -> None:
    assert find_mark(tree, ["mqtt", "port"], key=True) == tree["mqtt"].key_marks["port"]


def test_find_mark_stops_at_what_exists(tree: Any) -> None:
    assert find_mark(tree, ["switch", 7, "pin"]) == tree["switch"].mark
    assert find_mark(tree, ["mqtt", "port", "deeper"]) == tree["mqtt"].value_marks["port"]
    assert find_mark(tree, []) == tree.mark


def test_find_mark_without_marks_is_none() -> None:
    assert find_mark({"a": {"b": 1}}, ["a", "b"]) is None
    assert find_mark(None, ["a"]) is None
