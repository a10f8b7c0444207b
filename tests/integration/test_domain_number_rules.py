"""Rules on numbers: KR kinds and ranges, weights, check-in values, confidence, effective_at,
grades.

Every refusal raises `InvalidInput`, records nothing and changes no aggregate, on the
in-memory store and on PostgreSQL.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from domain.clock import clock_installed
from domain.errors import InvalidInput
from domain.key_result import KeyResult
from tests.support.world import World, assert_refused

# The domain clock is frozen at the real present in the tests that need an exact "now"
# (the store records events at its own time whatever that clock says).
NOW = datetime.now(UTC).replace(microsecond=0)




def add_kr(w: World, **changes: Any) -> object:
    args: dict[str, Any] = {"title": "KR", "kind": "numeric", "start": 0, "target": 10}
    args.update(changes)
    return w.app.add_key_result(w.goal, actor="a", **args)


def check_in(w: World, **changes: Any) -> object:
    args: dict[str, Any] = {"value": 5.0}
    args.update(changes)
    return w.app.check_in(w.kr, channel="api", actor="a", **args)


def edit_kr(w: World, **changes: Any) -> object:
    return w.app.edit_key_result(w.kr, actor="a", **changes)


def grade(w: World, score: Any) -> object:
    return w.app.grade_key_result(w.kr, score=score, actor="a")


INVALID: dict[str, Callable[[World], object]] = {
    "numeric KR without start": lambda w: add_kr(w, start=None),
    "numeric KR without target": lambda w: add_kr(w, target=None),
    "numeric KR with start equal to target": lambda w: add_kr(w, start=7, target=7),
    "percentage KR whose start equals the default target": lambda w: add_kr(
        w, kind="percentage", start=100, target=None),
    "binary KR with another target": lambda w: add_kr(w, kind="binary", start=None, target=5),
    "binary KR with another start": lambda w: add_kr(w, kind="binary", start=1, target=None),
    "KR of an unknown kind": lambda w: add_kr(w, kind="vibes"),
    "NaN start": lambda w: add_kr(w, start=math.nan),
    "infinite target": lambda w: add_kr(w, target=math.inf),
    "negative infinite target": lambda w: add_kr(w, target=-math.inf),
    "boolean start": lambda w: add_kr(w, start=True),
    "zero weight": lambda w: add_kr(w, weight=0),
    "negative weight": lambda w: add_kr(w, weight=-1),
    "NaN weight": lambda w: add_kr(w, weight=math.nan),
    "infinite weight": lambda w: add_kr(w, weight=math.inf),
    "boolean weight": lambda w: add_kr(w, weight=True),
    "NaN check-in": lambda w: check_in(w, value=math.nan),
    "infinite check-in": lambda w: check_in(w, value=math.inf),
    "boolean check-in": lambda w: check_in(w, value=True),
    "text check-in": lambda w: check_in(w, value="5"),
    "binary check-in of one half": lambda w: w.app.check_in(w.flag, value=0.5,
                                                            channel="api", actor="a"),
    "binary check-in of two": lambda w: w.app.check_in(w.flag, value=2, channel="api", actor="a"),
    "confidence below 0": lambda w: check_in(w, confidence=-0.01),
    "confidence above 1": lambda w: check_in(w, confidence=1.01),
    "NaN confidence": lambda w: check_in(w, confidence=math.nan),
    "boolean confidence": lambda w: check_in(w, confidence=True),
    "effective_at in the future": lambda w: check_in(
        w, effective_at=datetime.now(UTC) + timedelta(days=1)),
    "effective_at without offset": lambda w: check_in(w, effective_at=datetime(2026, 10, 2)),
    "effective_at before 1900 (UTC)": lambda w: check_in(
        w, effective_at=datetime(1900, 1, 1, 0, 59, tzinfo=timezone(timedelta(hours=1)))),
    "effective_at in the year 1 at +14:00": lambda w: check_in(
        w, effective_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))),
    "cycle starting before 1900": lambda w: w.app.create_cycle(
        key="Old", starts_on=date(1899, 12, 31), ends_on=date(2026, 1, 1), actor="a"),
    "cycle ending after 2999": lambda w: w.app.create_cycle(
        key="Long", starts_on=date(2026, 1, 1), ends_on=date(3000, 1, 1), actor="a"),
    "score above 1": lambda w: grade(w, 1.5),
    "score below 0": lambda w: grade(w, -0.1),
    "NaN score": lambda w: grade(w, math.nan),
    "boolean score": lambda w: grade(w, True),
    "KR edit with nothing to change": edit_kr,
    "KR target edited to equal start": lambda w: edit_kr(w, target=0),
    "KR target edited to NaN": lambda w: edit_kr(w, target=math.nan),
    "KR weight edited to zero": lambda w: edit_kr(w, weight=0),
    "KR weight edited to a boolean": lambda w: edit_kr(w, weight=True),
    "binary KR target edited": lambda w: w.app.edit_key_result(w.flag, target=2, actor="a"),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_number_is_refused_and_records_nothing(world: World, case: str) -> None:
    assert_refused(world.app, lambda: INVALID[case](world), InvalidInput)


def test_percentage_key_result_defaults_to_zero_to_one_hundred(world: World) -> None:
    kr_id = world.app.add_key_result(world.goal, title="Share", kind="percentage", actor="a").id
    kr = world.app.repository.get(kr_id)
    assert (kr.start, kr.target, kr.weight) == (0.0, 100.0, 1.0)


def test_percentage_key_result_accepts_its_own_range(world: World) -> None:
    kr_id = world.app.add_key_result(
        world.goal, title="Share", kind="percentage", start=20, target=80, actor="a").id
    assert world.app.check_in(kr_id, value=50, channel="api", actor="a").extra["progress"] == 0.5


def test_binary_key_result_runs_from_zero_to_one_and_takes_only_zero_or_one(
    world: World,
) -> None:
    kr_id = world.app.add_key_result(
        world.goal, title="Ship", kind="binary", start=0, target=1, actor="a").id
    kr = world.app.repository.get(kr_id)
    assert (kr.start, kr.target) == (0.0, 1.0)
    assert world.app.check_in(kr_id, value=1, channel="api", actor="a").extra["progress"] == 1.0
    assert world.app.check_in(kr_id, value=0, channel="api", actor="a").extra["progress"] == 0.0


def test_numeric_key_result_with_target_below_start_is_a_decrease(world: World) -> None:
    kr_id = world.app.add_key_result(
        world.goal, title="Latency", kind="numeric", start=400, target=200, actor="a").id
    assert world.app.check_in(kr_id, value=350, channel="api", actor="a").extra["progress"] == 0.25


@pytest.mark.parametrize("confidence", [0, 0.0, 0.5, 1, 1.0, None])
def test_confidence_within_zero_and_one_is_accepted(world: World, confidence: Any) -> None:
    check_in(world, confidence=confidence)
    assert world.app.load(KeyResult, world.kr).confidence == confidence


def test_smallest_positive_weight_is_accepted(world: World) -> None:
    kr_id = add_kr(world, weight=0.001).id  # type: ignore[attr-defined]
    assert world.app.load(KeyResult, kr_id).weight == 0.001


def test_effective_at_equal_to_now_is_accepted_and_one_microsecond_later_is_refused(
    world: World,
) -> None:
    with clock_installed(lambda: NOW):
        check_in(world, value=1, effective_at=NOW)
        assert_refused(world.app, lambda: check_in(
            world, effective_at=NOW + timedelta(microseconds=1)), InvalidInput)
    assert world.app.load(KeyResult, world.kr).current_effective_at == NOW


def test_effective_at_in_another_offset_is_compared_as_an_instant(world: World) -> None:
    plus_two = timezone(timedelta(hours=2))
    with clock_installed(lambda: NOW):
        # NOW at +02:00 reads a later wall clock, but is the same instant: not in the future.
        check_in(world, value=3, effective_at=NOW.astimezone(plus_two))
        assert_refused(world.app, lambda: check_in(
            world, effective_at=NOW.astimezone(plus_two) + timedelta(seconds=1)), InvalidInput)
    assert world.app.load(KeyResult, world.kr).current == 3.0


def test_integer_values_are_accepted_and_stored_as_numbers(world: World) -> None:
    check_in(world, value=42)
    edit_kr(world, target=200, weight=2)
    kr = world.app.load(KeyResult, world.kr)
    assert (kr.current, kr.target, kr.weight) == (42.0, 200.0, 2.0)
