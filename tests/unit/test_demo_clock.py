"""The simulated clock: strictly increasing readings, never beyond the real time."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from domain import clock
from okr.demo import SimulatedClock
from okr.demo.timeline import Agenda, quarter_of, quarters_until

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_readings_are_strictly_increasing_without_advancing() -> None:
    simulated = SimulatedClock(START)
    readings = [simulated() for _ in range(5)]
    assert readings[0] == START
    assert all(b - a == timedelta(milliseconds=1) for a, b in itertools.pairwise(readings))


def test_advancing_jumps_to_the_simulated_time_but_never_back() -> None:
    simulated = SimulatedClock(START)
    simulated()
    simulated.advance_to(START + timedelta(days=7))
    assert simulated() == START + timedelta(days=7)
    simulated.advance_to(START)  # the past: ignored
    assert simulated() == START + timedelta(days=7, milliseconds=1)


def test_readings_never_pass_the_real_time() -> None:
    real = [START + timedelta(hours=1)]

    def real_clock() -> datetime:
        real[0] += timedelta(microseconds=10)
        return real[0]

    simulated = SimulatedClock(START, real_clock=real_clock)
    simulated.advance_to(START + timedelta(days=30))
    first, second = simulated(), simulated()
    assert first <= real[0] and second <= real[0]
    assert first < second


def test_the_clock_stamps_events_only_while_installed() -> None:
    with clock.clock_installed(SimulatedClock(START)):
        assert clock.now() == START
    assert clock.now() > START + timedelta(days=300)


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        SimulatedClock(datetime(2026, 1, 1))


def test_quarters_end_with_the_one_holding_today() -> None:
    keys = [q.key for q in quarters_until(date(2026, 11, 24), 4)]
    assert keys == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert [q.key for q in quarters_until(date(2027, 2, 1), 2)] == ["2026-Q4", "2027-Q1"]
    q4 = quarter_of(date(2026, 11, 24))
    assert (q4.starts_on, q4.ends_on) == (date(2026, 10, 1), date(2026, 12, 31))
    fridays = list(q4.fridays())
    assert all(f.weekday() == 4 and q4.starts_on < f.date() <= q4.ends_on for f in fridays)
    assert 12 <= len(fridays) <= 13


def test_agenda_runs_in_time_order_and_drops_the_future() -> None:
    agenda = Agenda(horizon=START + timedelta(days=1))
    ran: list[str] = []
    agenda.plan(START + timedelta(hours=2), lambda: ran.append("second"))
    agenda.plan(START + timedelta(hours=1), lambda: ran.append("first"))
    agenda.plan(START + timedelta(days=2), lambda: ran.append("future"))
    assert agenda.run(lambda when: None) == 2
    assert ran == ["first", "second"]
