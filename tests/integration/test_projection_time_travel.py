"""The projection's tree equals a naive fold of the events, for any as_of T and valid_at V."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import clock
from domain.errors import DomainError
from eventstore import Store
from eventstore.txtime import TICK, loading
from projections.runner import catch_up
from projections.tree import alignment_tree
from tests.support.oracle import cycle_known, oracle_tree

EXAMPLES = count()
BASE = datetime(2024, 1, 1, tzinfo=UTC)

check_in = st.tuples(st.just("check_in"), st.integers(0, 29), st.floats(-150, 150),
                    st.integers(0, 20))
# Two check-ins of one KR at one instant, same effective_at: the later recorded must win.
tie = st.tuples(st.just("tie"), st.integers(0, 29), st.floats(-150, 150), st.floats(-150, 150),
               st.integers(0, 20))
step = st.one_of(
    check_in, check_in, check_in, tie,
    st.tuples(st.just("objective"), st.integers(0, 9), st.booleans()),
    st.tuples(st.just("kr"), st.integers(0, 9), st.floats(-100, 100)),
    st.tuples(st.just("retarget"), st.integers(0, 29), st.floats(-100, 200)),
    st.tuples(st.just("realign"), st.integers(0, 9), st.integers(-1, 9)),
    st.tuples(st.just("archive"), st.integers(0, 9)),
    st.tuples(st.just("retitle"), st.integers(0, 9), st.sampled_from(["A", "B", "C"])),
)


def play(store: Store, cycle: str, steps: list[Any], start: datetime) -> list[datetime]:
    """Run the steps two per hour, loaded at those past instants (the events of one step a
    microsecond apart); the instants used."""
    app, times, ticks = store.app, [start], count()
    with clock.clock_installed(lambda: start + next(ticks) * TICK):
        team = app.create_team(name="T", parent_id=None, actor="a").id
        app.create_cycle(key=cycle, starts_on=start.date(),
                         ends_on=(start + timedelta(90)).date(), actor="a")
    owner = {"type": "team", "id": team}
    objectives: list[UUID] = []
    krs: list[UUID] = []
    for number, (kind, *args) in enumerate(steps, start=1):
        now = start + timedelta(hours=number // 2)
        times.append(now)
        with clock.clock_installed(lambda now=now: now + next(ticks) * TICK), \
                contextlib.suppress(DomainError):
            apply_step(app, kind, args, cycle, owner, objectives, krs, now)
    return times


def apply_step(app: Any, kind: str, args: list[Any], cycle: str, owner: dict[str, str],
               objectives: list[UUID], krs: list[UUID], now: datetime) -> None:
    def pick(items: list[UUID], i: int) -> UUID:
        return items[i % len(items)]

    if kind == "objective":
        parent = pick(objectives, args[0]) if objectives and args[1] else None
        objectives.append(UUID(app.create_objective(
            cycle=cycle, title=f"O{len(objectives) % 3}", description=None, owner=owner,
            parent_id=parent, actor="a").id))
    elif kind == "kr" and objectives:
        krs.append(UUID(app.add_key_result(pick(objectives, args[0]), title=f"K{len(krs)}",
                                           kind="numeric", start=0, target=args[1] or 1.0,
                                           actor="a").id))
    elif kind == "check_in" and krs:
        app.check_in(pick(krs, args[0]), value=args[1], channel="api", actor="a",
                     effective_at=now - timedelta(hours=args[2]))
    elif kind == "tie" and krs:
        for value in args[1:3]:
            app.check_in(pick(krs, args[0]), value=value, channel="api", actor="a",
                         effective_at=now - timedelta(hours=args[3]))
    elif kind == "retarget" and krs:
        app.edit_key_result(pick(krs, args[0]), target=args[1], actor="a")
    elif kind == "realign" and objectives:
        parent = None if args[1] < 0 else pick(objectives, args[1])
        app.realign_objective(pick(objectives, args[0]), parent_id=parent, actor="a")
    elif kind == "archive" and objectives:
        app.archive_objective(pick(objectives, args[0]), actor="a")
    elif kind == "retitle" and objectives:
        app.edit_objective(pick(objectives, args[0]), title=args[1], actor="a")


def normalised(roots: list[dict[str, Any]]) -> list[Any]:
    def node(n: dict[str, Any]) -> tuple[Any, ...]:
        return (n["id"], n["title"], round(n["progress"], 9),
                tuple((k["id"], k["title"], k["current"], k["target"], round(k["progress"], 9))
                      for k in n["key_results"]),
                tuple(node(c) for c in n["children"]))
    return [node(r) for r in roots]


SETUP = [("objective", 0, False), ("objective", 0, True), ("objective", 1, True),
         ("kr", 0, 10.0), ("kr", 1, -20.0), ("kr", 2, 50.0), ("kr", 0, 100.0)]


@pytest.fixture
def loaded(store: Store) -> Iterator[Store]:
    """The store in a loading session for the whole test (all its examples)."""
    with loading(store.app):
        yield store


@given(
    steps=st.lists(step, min_size=5, max_size=30).map(lambda s: SETUP + s),
    picks=st.tuples(st.integers(0, 40), st.integers(0, 40)),
)
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_tree_as_of_any_instant_equals_the_fold_of_events_up_to_it(
    loaded: Store, steps: list[Any], picks: tuple[int, int]
) -> None:
    store = loaded
    example = next(EXAMPLES)
    cycle = f"P-{example}"
    start = BASE + timedelta(days=30 * example)
    times = play(store, cycle, steps, start)
    catch_up(store)
    # Instants between and on the steps' times; V may lie before or after T.
    t = times[-1 - picks[0] % len(times)] + timedelta(minutes=30 * (picks[0] % 3 - 1))
    v = times[-1 - picks[1] % len(times)] - timedelta(hours=picks[1] % 4)
    with store.pool.connection() as conn:
        tree = alignment_tree(conn, cycle, as_of=t, valid_at=v)
    if not cycle_known(store.app, cycle, t):  # as of before the cycle existed
        assert tree is None
        return
    assert tree is not None
    assert normalised(tree["roots"]) == normalised(oracle_tree(store.app, cycle, t, v))
