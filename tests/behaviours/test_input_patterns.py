"""Debounce and click patterns as pure units (no clock, no pins)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.input_patterns import ClickConfig, ClickDetector, ClickType, Debouncer

pytestmark = pytest.mark.usefixtures("hypothesis_storage")
# No deadline (two cores shared by many test runs) and no example database on disk.
RELAXED = settings(deadline=None, database=None)


def debounce(delay_on: float, delay_off: float, edges: list[tuple[float, bool]]) -> list:  # type: ignore[type-arg]
    """(time, level) of each debounced change, running timers when they fall due."""
    bouncer = Debouncer(delay_on, delay_off)
    bouncer.feed(False, 0.0)
    out = []
    for now, level in edges:
        if bouncer.deadline is not None and bouncer.deadline <= now:
            when = bouncer.deadline
            if (changed := bouncer.timer(when)) is not None:
                out.append((when, changed))
        if (changed := bouncer.feed(level, now)) is not None:
            out.append((now, changed))
    if (when := bouncer.deadline) is not None and (changed := bouncer.timer(when)) is not None:
        out.append((when, changed))
    return out


def test_a_bounce_shorter_than_the_delay_is_ignored() -> None:
    edges = [(1.0, True), (1.01, False), (1.02, True), (1.03, False)]
    assert debounce(0.03, 0.03, edges) == []


def test_a_change_that_holds_counts_after_its_delay() -> None:
    edges = [(1.0, True), (1.01, False), (1.02, True), (2.0, False)]
    assert debounce(0.03, 0.5, edges) == [(1.05, True), (2.5, False)]


def test_no_delay_passes_at_once() -> None:
    assert debounce(0.0, 0.0, [(1.0, True), (1.5, False)]) == [(1.0, True), (1.5, False)]


def test_the_first_reading_is_taken_as_it_is() -> None:
    bouncer = Debouncer(1.0, 1.0)
    assert bouncer.feed(True, 0.0) is True
    assert bouncer.level is True


@RELAXED
@given(
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    st.lists(st.tuples(st.floats(0.001, 2.0), st.booleans()), max_size=40),
)
def test_debounced_changes_alternate_and_each_held(
    delay_on: float, delay_off: float, steps: list[tuple[float, bool]]
) -> None:
    now, edges = 0.0, []
    for gap, level in steps:
        now += gap
        edges.append((now, level))
    out = debounce(delay_on, delay_off, edges)
    levels = [False] + [level for _, level in out]
    assert all(a != b for a, b in itertools.pairwise(levels))  # real changes only
    raw = [(0.0, False), *edges]
    for when, level in out:
        delay = delay_on if level else delay_off
        # no raw edge to another level within the delay before `when`
        within = [lvl for t, lvl in raw if when - delay + 1e-9 < t < when - 1e-9]
        assert all(lvl == level for lvl in within)
        # and the raw level was `level` when the delay began
        began = [lvl for t, lvl in raw if t <= when - delay + 1e-9]
        assert began[-1] == level


def clicks(config: ClickConfig, script: list[tuple[float, str]]) -> list[tuple[float, ClickType]]:
    """Run press/release steps at their times, with the detector's timers in between."""
    detector = ClickDetector(config)
    out: list[tuple[float, ClickType]] = []
    for now, step in [*script, (1e9, "end")]:
        while detector.deadline is not None and detector.deadline <= now:
            when = detector.deadline
            if (click := detector.timer(when)) is not None:
                out.append((when, click))
        if step == "end":
            break
        click = detector.press(now) if step == "press" else detector.release(now)
        if click is not None:
            out.append((now, click))
    return out


ALL = ClickConfig(double_gap=0.3, long_min=0.8)


def test_single_waits_for_the_double_gap() -> None:
    assert clicks(ALL, [(0.0, "press"), (0.1, "release")]) == [(pytest.approx(0.4), "single")]


def test_double() -> None:
    script = [(0.0, "press"), (0.1, "release"), (0.3, "press"), (0.35, "release")]
    assert clicks(ALL, script) == [(0.35, "double")]


def test_long_fires_while_held_and_its_release_is_no_click() -> None:
    assert clicks(ALL, [(0.0, "press"), (2.0, "release")]) == [(0.8, "long")]


def test_two_slow_presses_are_two_singles() -> None:
    script = [(0.0, "press"), (0.1, "release"), (1.0, "press"), (1.1, "release")]
    assert [click for _, click in clicks(ALL, script)] == ["single", "single"]


def test_without_double_a_single_fires_at_the_release() -> None:
    config = ClickConfig(double=False)
    assert clicks(config, [(0.0, "press"), (0.1, "release")]) == [(0.1, "single")]


def test_without_long_a_long_hold_is_a_single() -> None:
    config = ClickConfig(long=False, double=False)
    assert clicks(config, [(0.0, "press"), (5.0, "release")]) == [(5.0, "single")]


def test_only_enabled_patterns_fire() -> None:
    config = ClickConfig(single=False, long=False)
    assert clicks(config, [(0.0, "press"), (0.1, "release")]) == []
    assert config.types == ("double",)


@RELAXED
@given(st.lists(st.tuples(st.floats(0.01, 2.0), st.floats(0.01, 2.0)), max_size=30))
def test_every_click_is_an_enabled_pattern_and_presses_bound_clicks(
    presses: list[tuple[float, float]],
) -> None:
    now, script = 0.0, []
    for gap, hold in presses:
        now += gap
        script.append((now, "press"))
        now += hold
        script.append((now, "release"))
    out = clicks(ALL, script)
    assert all(click in ("single", "double", "long") for _, click in out)
    assert len(out) <= len(presses)  # a click needs at least one press of its own
    doubles = sum(1 for _, click in out if click == "double")
    assert len(out) + doubles <= len(presses)  # a double takes two
    assert [t for t, _ in out] == sorted(t for t, _ in out)
