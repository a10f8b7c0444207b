"""Reads the dashboard adds: team health with its KRs, changes with their authors, carry-over
lineage."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any
from uuid import UUID

import pytest

from domain import clock
from domain.health import Health
from eventstore import Store
from eventstore.txtime import TICK, loading
from projections import queries
from projections.runner import catch_up
from tests.support.scenario import Org, build_org

DAY1 = datetime(2026, 10, 1, 9, tzinfo=UTC)


def day(n: int) -> datetime:
    return DAY1 + timedelta(days=n - 1)


@contextmanager
def at(when: datetime) -> Iterator[None]:
    """Record what the block does at `when` (a microsecond apart, as the store needs)."""
    ticks = count()
    with clock.clock_installed(lambda: when + next(ticks) * TICK):
        yield


@pytest.fixture
def loaded(store: Store) -> Iterator[None]:
    """The test's history goes into the empty store at the past instants it names."""
    with loading(store.app):
        yield


@pytest.fixture
def org(store: Store, loaded: None) -> Org:
    with at(day(1)):
        return build_org(store.app)


def read(store: Store, query: Any, *args: Any, **kwargs: Any) -> Any:
    catch_up(store)
    with store.pool.connection() as conn:
        return query(conn, *args, **kwargs)


def test_team_health_lists_the_stale_and_lagging_key_results_counted_by_engagement(
    store: Store, org: Org
) -> None:
    with at(day(2)):
        store.app.check_in(org.key_result, value=5, confidence=0.8, actor="ann",
                           channel="api")
    for now in (day(3), day(40)):
        health = read(store, queries.team_health, org.cycle, now=now)
        counts = read(store, queries.engagement, org.cycle, now=now)
        (team,) = [i for i in health["items"] if i["team_id"] == str(org.team)]
        (counted,) = [i for i in counts["items"] if i["team_id"] == str(org.team)]
        assert (len(team["stale"]), len(team["lagging"]), len(team["at_risk"])) == (
            counted["stale_key_results"], counted["lagging_key_results"],
            counted["at_risk_key_results"])
    assert [kr["id"] for kr in team["stale"]] == [str(org.key_result)]
    assert day(2) <= team["lagging"][0]["last_check_in_at"] < day(2) + timedelta(seconds=1)
    assert team["lagging"][0]["health"] is Health.OFF_TRACK
    assert team["health"] == {"on_track": 0, "at_risk": 0, "off_track": 1}
    assert team["at_risk"] == []
    assert read(store, queries.team_health, "nope") is None


def test_changes_name_who_made_them_and_why(store: Store, org: Org) -> None:
    with at(day(3)):
        store.app.realign_objective(org.child, parent_id=None, actor="bob", reason="own goal")
        store.app.check_in(org.key_result, value=10, actor="ann", channel="api")
    with at(day(4)):
        store.app.check_in(org.key_result, value=20, actor="cid", channel="api")
        store.app.edit_key_result(org.key_result, target=80, actor="dee", reason="realistic")
    found = read(store, queries.attributed_changes, org.cycle, day(2), day(5))
    plain = read(store, queries.changes, org.cycle, day(2), day(5))
    for group in ("added", "archived", "realigned", "reassigned", "retargeted", "progress"):
        assert [i["id"] for i in found[group]] == [i["id"] for i in plain[group]], group
    (realigned,) = found["realigned"]
    assert (realigned["by"], realigned["reason"]) == ("bob", "own goal")
    assert (realigned["title"], realigned["from_title"], realigned["to_title"]) == (
        "Sub", "Grow", None)
    (retargeted,) = found["retargeted"]
    assert (retargeted["by"], retargeted["reason"], retargeted["title"]) == (
        "dee", "realistic", "Revenue")
    kr_progress = next(i for i in found["progress"] if i["id"] == str(org.key_result))
    assert (kr_progress["by"], kr_progress["times"], kr_progress["type"]) == (
        "cid", 2, "key_result")
    objective_progress = next(i for i in found["progress"] if i["id"] == str(org.objective))
    assert objective_progress["by"] is None  # an objective moves through its KRs' check-ins
    assert read(store, queries.attributed_changes, "nope", day(2), day(5)) is None


def test_carry_overs_chain_an_objective_through_the_cycles_it_was_continued_in(
    store: Store, org: Org
) -> None:
    with at(day(2)):
        carried = UUID(store.app.carry_over(org.child, cycle=org.other_cycle, actor="ann").id)
        store.app.create_cycle(key="2027-Q2", starts_on=datetime(2027, 4, 1).date(),
                               ends_on=datetime(2027, 6, 30).date(), actor="admin")
        again = store.app.carry_over(carried, cycle="2027-Q2", actor="ann").id
    chains = read(store, queries.carry_overs)
    assert [[(s["title"], s["cycle"]) for s in c] for c in chains] == [
        [("Sub", org.cycle), ("Sub", org.other_cycle), ("Sub", "2027-Q2")]]
    assert chains[0][-1]["id"] == again
    assert read(store, queries.carry_overs, "team", str(org.team)) == chains
    assert read(store, queries.carry_overs, "person", str(org.person)) == []
