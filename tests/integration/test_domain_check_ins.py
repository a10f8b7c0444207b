"""Check-ins: which value is current (valid time, ties to the later recorded), what counts,
and the progress each answer carries. Both stores.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest

from domain.clock import clock_installed
from domain.key_result import KeyResult
from tests.support.world import World, log_length, recorded_events

DAY = timedelta(days=1)
# The domain clock frozen at the real present: "now" of the valid-time rules (the store
# records each check-in at its own time, later).
T0 = datetime.now(UTC).replace(microsecond=0)




def check_in(w: World, value: float, at: datetime | None = None, **more: Any) -> float:
    """Check in on the numeric KR (0 -> 100); answer the progress in the command answer."""
    answer = w.app.check_in(w.kr, value=value, effective_at=at, channel="api", actor="a", **more)
    return float(answer.extra["progress"])


def current(w: World) -> KeyResult:
    return w.app.load(KeyResult, w.kr)


def test_check_in_answer_carries_the_progress_of_the_current_value(world: World) -> None:
    with clock_installed(lambda: T0):
        assert check_in(world, 25) == 0.25
        answer = world.app.check_in(world.kr, value=60, channel="api", actor="a")
    assert answer.extra["progress"] == 0.6
    assert (answer.id, answer.version, answer.position) == (
        str(world.kr), current(world).version, log_length(world.app))


def test_back_dated_check_in_counts_but_does_not_replace_the_current_value(
    world: World,
) -> None:
    with clock_installed(lambda: T0):
        check_in(world, 70, T0 - DAY, confidence=0.8)
        progress = check_in(world, 10, T0 - 5 * DAY, confidence=0.1, note="correction")
    kr = current(world)
    assert progress == 0.7
    assert (kr.current, kr.confidence, kr.current_effective_at) == (70.0, 0.8, T0 - DAY)
    assert kr.check_ins == 2
    values = [e.value for e in recorded_events(world.app) if type(e).__name__ == "CheckedIn"]
    assert values == [70.0, 10.0]


def test_later_effective_at_replaces_the_current_value(world: World) -> None:
    with clock_installed(lambda: T0):
        check_in(world, 10, T0 - 5 * DAY)
        assert check_in(world, 30, T0 - 2 * DAY) == 0.3
    assert current(world).current == 30.0


def test_tie_on_effective_at_goes_to_the_later_recorded_check_in(world: World) -> None:
    with clock_installed(lambda: T0):
        check_in(world, 40, T0 - DAY, confidence=0.5)
        assert check_in(world, 20, T0 - DAY, confidence=0.9) == 0.2
    kr = current(world)
    assert (kr.current, kr.confidence, kr.check_ins) == (20.0, 0.9, 2)


def test_tie_between_offsets_naming_the_same_instant_goes_to_the_later_recorded(
    world: World,
) -> None:
    with clock_installed(lambda: T0):
        check_in(world, 40, T0 - DAY)
        check_in(world, 45, (T0 - DAY).astimezone(timezone(timedelta(hours=-5))))
    assert current(world).current == 45.0


def test_default_effective_at_is_the_recorded_at_the_store_gives(world: World) -> None:
    with clock_installed(lambda: T0):
        check_in(world, 50)
    checked_in = recorded_events(world.app)[-1]
    assert checked_in.effective_at == checked_in.timestamp > T0
    assert current(world).current_effective_at == checked_in.timestamp


def test_check_in_without_confidence_clears_the_confidence_of_the_current_value(
    world: World,
) -> None:
    check_in(world, 50, confidence=0.7)
    check_in(world, 55)
    assert (current(world).current, current(world).confidence) == (55.0, None)


@pytest.mark.parametrize(("value", "progress"), [
    (-20, 0.0), (0, 0.0), (33, 0.33), (100, 1.0), (250, 1.0),
])
def test_progress_is_clamped_between_zero_and_one(
    world: World, value: float, progress: float
) -> None:
    assert check_in(world, value) == pytest.approx(progress)
    assert current(world).progress == pytest.approx(progress)


def test_progress_of_a_decreasing_key_result_is_clamped_too(world: World) -> None:
    kr_id = UUID(world.app.add_key_result(world.goal, title="Churn", kind="numeric", start=8,
                                          target=2, unit="%", actor="a").id)
    answers = [world.app.check_in(kr_id, value=v, channel="api", actor="a").extra["progress"]
               for v in (9, 8, 5, 2, 1)]
    assert answers == [0.0, 0.0, 0.5, 1.0, 1.0]


def test_key_result_without_check_ins_is_at_its_start(world: World) -> None:
    kr = current(world)
    assert (kr.current, kr.progress, kr.check_ins, kr.score) == (None, 0.0, 0, None)


def test_retargeting_changes_the_progress_of_the_current_value(world: World) -> None:
    check_in(world, 50)
    world.app.edit_key_result(world.kr, target=200, reason="stretch", actor="a")
    assert current(world).progress == 0.25


def test_every_check_in_is_one_event_on_the_key_result(world: World) -> None:
    before = log_length(world.app)
    for value in (1, 2, 3):
        check_in(world, value)
    events = recorded_events(world.app, after=before)
    assert [type(e) for e in events] == [KeyResult.CheckedIn] * 3
    assert {UUID(str(e.originator_id)) for e in events} == {world.kr}
    assert current(world).version == 4
