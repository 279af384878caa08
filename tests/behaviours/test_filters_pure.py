"""Sensor filters as pure units: properties over generated readings (hypothesis)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.filters import (
    CalibrateLinear,
    Clamp,
    Delta,
    ExponentialMovingAverage,
    FilterChain,
    FilterSpec,
    Heartbeat,
    Multiply,
    Offset,
    Round,
    SlidingWindow,
    Throttle,
    Timeout,
    least_squares,
)

pytestmark = pytest.mark.usefixtures("hypothesis_storage")
# No deadline (two cores shared by many test runs) and no example database on disk.
RELAXED = settings(deadline=None, database=None)

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
readings = st.lists(values, min_size=1, max_size=60)
gaps = st.lists(st.floats(min_value=0, max_value=100), min_size=1, max_size=60)


def run(specs: Sequence[FilterSpec], inputs: Sequence[float], times: Sequence[float] = ()):  # type: ignore[no-untyped-def]
    """(time, output) of every reading the chain let through."""
    chain = FilterChain(specs)
    moments = list(times) or [float(index) for index in range(len(inputs))]
    outputs = []
    for value, now in zip(inputs, moments, strict=False):
        passed = chain.feed(value, now)
        if passed is not None:
            outputs.append((now, passed))
    return outputs


def timeline(steps: Sequence[float]) -> list[float]:
    now, moments = 1000.0, []
    for step in steps:
        now += step
        moments.append(now)
    return moments


@RELAXED
@given(readings, st.floats(-1e3, 1e3), st.floats(-1e3, 1e3))
def test_offset_and_multiply_map_every_value(inputs: list[float], a: float, b: float) -> None:
    out = run([Multiply(a), Offset(b)], inputs)
    assert [value for _, value in out] == [value * a + b for value in inputs]


@RELAXED
@given(readings, st.floats(-1e3, 1e3), st.floats(0, 1e3))
def test_clamp_keeps_values_within_bounds(inputs: list[float], low: float, width: float) -> None:
    out = run([Clamp(low, low + width)], inputs)
    assert len(out) == len(inputs)
    assert all(low <= value <= low + width for _, value in out)


@RELAXED
@given(readings, st.integers(0, 4))
def test_round_leaves_at_most_the_decimals(inputs: list[float], decimals: int) -> None:
    for (_, value), raw in zip(run([Round(decimals)], inputs), inputs, strict=True):
        assert value == round(raw, decimals)
        assert abs(value - raw) <= 0.5 * 10**-decimals + 1e-9


@RELAXED
@given(st.floats(-100, 100), st.floats(-100, 100), st.lists(st.floats(-1e3, 1e3), min_size=2))
def test_calibrate_linear_recovers_a_line(slope: float, intercept: float, xs: list[float]) -> None:
    if max(xs) - min(xs) < 1e-3:
        return
    fitted_slope, fitted_intercept = least_squares([(x, slope * x + intercept) for x in xs])
    assert fitted_slope == pytest.approx(slope, rel=1e-6, abs=1e-6)
    assert fitted_intercept == pytest.approx(intercept, rel=1e-6, abs=1e-3)


def test_calibrate_linear_two_points_exactly() -> None:
    spec = CalibrateLinear.fit([(0.12, 0.0), (3.3, 100.0)])
    out = [value for _, value in run([spec], [0.12, 3.3, 1.71])]
    assert out == pytest.approx([0.0, 100.0, 50.0])


def test_calibrate_linear_refuses_one_measured_value() -> None:
    with pytest.raises(ValueError, match="two different"):
        least_squares([(1.0, 0.0), (1.0, 5.0)])


@RELAXED
@given(
    readings,
    st.integers(1, 10),
    st.sampled_from(["mean", "median", "min", "max"]),
    st.integers(1, 5),
)
def test_sliding_window(inputs: list[float], size: int, kind: str, every: int) -> None:
    out = run([SlidingWindow(size, kind, every)], inputs)  # type: ignore[arg-type]
    assert len(out) == math.ceil(len(inputs) / every)  # the first, then every n-th
    for now, value in out:
        window = inputs[max(0, int(now) - size + 1) : int(now) + 1]
        assert min(window) - 1e-6 <= value <= max(window) + 1e-6
        if kind in ("min", "max"):
            assert value == (min if kind == "min" else max)(window)


@RELAXED
@given(readings, st.floats(0.01, 1.0))
def test_exponential_moving_average_stays_within_the_inputs(
    inputs: list[float], alpha: float
) -> None:
    out = run([ExponentialMovingAverage(alpha)], inputs)
    assert out[0][1] == inputs[0]
    for index, (_, value) in enumerate(out):
        seen = inputs[: index + 1]
        assert min(seen) - 1e-6 <= value <= max(seen) + 1e-6


@RELAXED
@given(readings, st.floats(0, 100))
def test_delta_passes_only_changes_of_at_least_the_delta(inputs: list[float], delta: float) -> None:
    out = [value for _, value in run([Delta(delta)], inputs)]
    assert out[0] == inputs[0]
    assert all(abs(b - a) >= delta for a, b in itertools.pairwise(out))
    assert len(out) == len(inputs) or delta > 0


@RELAXED
@given(gaps, st.floats(0.1, 50))
def test_throttle_spaces_outputs_by_the_period(steps: list[float], period: float) -> None:
    moments = timeline(steps)
    out = run([Throttle(period)], [1.0] * len(moments), moments)
    assert out[0][0] == moments[0]
    assert all(b - a >= period for (a, _), (b, _) in itertools.pairwise(out))
    # nothing is held back longer than needed: every dropped reading is within a period
    passed = [now for now, _ in out]
    for now in moments:
        assert any(0 <= now - sent < period for sent in passed) or now in passed


@settings(max_examples=50, deadline=None, database=None)
@given(readings, gaps)
def test_a_chain_is_a_pure_function_of_its_inputs(inputs: list[float], steps: list[float]) -> None:
    specs = [
        SlidingWindow(3, "median"),
        ExponentialMovingAverage(0.3),
        Delta(0.5),
        Throttle(2.0),
        Round(1),
    ]
    moments = timeline(steps)
    assert run(specs, inputs, moments) == run(specs, inputs, moments)


def test_heartbeat_and_timeout_are_timing_not_steps() -> None:
    chain = FilterChain([Heartbeat(300.0), Offset(1.0), Timeout(60.0)])
    assert (chain.heartbeat, chain.timeout) == (300.0, 60.0)
    assert chain.feed(1.0, 0.0) == 2.0


def test_filters_apply_in_order() -> None:
    assert run([Offset(1.0), Multiply(10.0)], [1.0]) == [(0.0, 20.0)]
    assert run([Multiply(10.0), Offset(1.0)], [1.0]) == [(0.0, 11.0)]
    assert run([Clamp(0.0, 10.0), Offset(5.0)], [20.0]) == [(0.0, 15.0)]
