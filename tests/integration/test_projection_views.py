"""Each read model against a scenario loaded at controlled past times (a loading session)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

import pytest

from domain import clock
from domain.errors import InvalidInput
from eventstore import Store
from eventstore.txtime import TICK, loading
from projections import queries
from projections.rebuild import rebuild
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


def test_back_dated_correction_is_invisible_as_of_before_it_was_recorded(
    store: Store, org: Org
) -> None:
    with at(day(5)):
        store.app.check_in(org.key_result, value=40, channel="api", actor="ann")
    with at(day(20)):
        store.app.check_in(org.key_result, value=10, effective_at=day(8),
                           channel="api", actor="ann",
                             note="correction")
    day15 = read(store, queries.key_result_detail, org.key_result, as_of=day(15))
    assert day15["current"] == 40
    now_valid_day9 = read(store, queries.key_result_detail, org.key_result, valid_at=day(9))
    assert now_valid_day9["current"] == 10
    now = read(store, queries.key_result_detail, org.key_result)
    assert now["current"] == 10
    before_any = read(store, queries.key_result_detail, org.key_result, valid_at=day(4))
    assert before_any["current"] is None and before_any["progress"] == 0


def test_objective_detail_as_of_shows_the_title_and_version_known_then(
    store: Store, org: Org
) -> None:
    with at(day(3)):
        store.app.edit_objective(org.objective, title="Grow faster", actor="ann")
    old = read(store, queries.objective_detail, org.objective, as_of=day(2))
    new = read(store, queries.objective_detail, org.objective)
    assert (old["title"], new["title"]) == ("Grow", "Grow faster")
    assert new["version"] == old["version"] + 1
    assert read(store, queries.objective_detail, org.objective, as_of=DAY1 - timedelta(1)) is None


def test_tree_hides_archived_objectives_and_nests_children(store: Store, org: Org) -> None:
    tree = read(store, queries.alignment_tree, org.cycle)
    assert [r["title"] for r in tree["roots"]] == ["Grow"]
    assert [c["title"] for c in tree["roots"][0]["children"]] == ["Sub"]
    with at(day(2)):
        store.app.archive_objective(org.child, actor="a")
    assert read(store, queries.alignment_tree, org.cycle)["roots"][0]["children"] == []
    assert read(store, queries.alignment_tree, "nope") is None


def test_check_in_list_is_ordered_by_valid_time_and_respects_as_of(
    store: Store, org: Org
) -> None:
    with at(day(5)):
        store.app.check_in(org.key_result, value=40, confidence=0.9, channel="api", actor="ann")
    with at(day(6)):
        store.app.check_in(org.key_result, value=20, effective_at=day(2),
                           channel="api", actor="bob")
    items = read(store, queries.check_ins, org.key_result)
    assert [(i["value"], i["actor"]) for i in items] == [(20, "bob"), (40, "ann")]
    later_on_day5 = day(5) + timedelta(hours=1)
    assert len(read(store, queries.check_ins, org.key_result, as_of=later_on_day5)) == 1


def test_audit_trail_records_field_changes_with_actor_and_reason(
    store: Store, org: Org
) -> None:
    with at(day(2)):
        store.app.edit_key_result(org.key_result, target=120, reason="stretch", actor="ann")
        store.app.reassign_objective(org.objective, owner=org.owner("person"),
                                       reason="ann leads", actor="bob")
    entries = read(store, queries.audit, entity_id=org.key_result)["items"]
    assert entries[0]["changes"]["title"] == {"from": None, "to": "Revenue"}
    assert entries[-1]["changes"] == {"target": {"from": 100.0, "to": 120.0}}
    assert (entries[-1]["actor"], entries[-1]["reason"]) == ("ann", "stretch")
    by_bob = read(store, queries.audit, actor="bob")["items"]
    assert by_bob[0]["changes"]["owner"]["to"] == org.owner("person")
    assert by_bob[0]["event_type"] == "okr.objective.reassigned.v1"


def test_audit_pages_with_a_cursor_without_gaps_or_repeats(store: Store, org: Org) -> None:
    everything = read(store, queries.audit, limit=500)["items"]
    seen, cursor = [], None
    while True:
        page = read(store, queries.audit, limit=3, cursor=cursor)
        seen += [e["position"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [e["position"] for e in everything]
    assert read(store, queries.audit, since=day(2))["items"] == []


def test_changes_between_two_instants(store: Store, org: Org) -> None:
    with at(day(3)):
        store.app.realign_objective(org.child, parent_id=None, reason="own path", actor="a")
        store.app.edit_key_result(org.key_result, target=200, reason="bigger", actor="a")
        store.app.check_in(org.key_result, value=50, channel="api", actor="a")
        store.app.add_key_result(org.child, title="New", kind="binary", actor="a")
    diff = read(store, queries.changes, org.cycle, day(2), day(4))
    assert diff["realigned"] == [{"id": str(org.child), "from_parent": str(org.objective),
                                  "to_parent": None}]
    assert diff["retargeted"] == [{"id": str(org.key_result), "from": 100.0, "to": 200.0,
                                   "reason": "bigger"}]
    assert [a["title"] for a in diff["added"]] == ["New"]
    assert {p["id"] for p in diff["progress"]} == {str(org.key_result), str(org.objective)}


def test_history_per_cycle_counts_scores_hits_and_carry_overs(store: Store, org: Org) -> None:
    with at(day(10)):
        store.app.check_in(org.key_result, value=80, channel="api", actor="a")
        store.app.close_cycle(org.cycle, actor="admin")
        store.app.carry_over(org.objective, cycle=org.other_cycle, actor="a")
    items = read(store, queries.history)["items"]
    q4, q1 = items
    assert (q4["cycle"], q4["objectives"], q4["key_results"], q4["check_ins"]) == (
        org.cycle, 2, 1, 1)
    assert q4["hit_rate"] == 1.0 and q4["avg_score"] == pytest.approx(0.4)
    assert (q1["cycle"], q1["carried_in"], q1["hit_rate"]) == (org.other_cycle, 1, None)
    only_q1 = read(store, queries.history, from_cycle=org.other_cycle)["items"]
    assert [i["cycle"] for i in only_q1] == [org.other_cycle]


def test_engagement_finds_stale_and_lagging_key_results(store: Store, org: Org) -> None:
    with at(day(2)):
        store.app.check_in(org.key_result, value=5, channel="api", actor="a")
    report = read(store, queries.engagement, org.cycle, now=day(40))
    (team,) = [i for i in report["items"] if i["team_id"] == str(org.team)]
    assert team["objectives"] == 2 and team["aligned_share"] == 0.5
    assert (team["stale_key_results"], team["lagging_key_results"]) == (1, 1)
    assert team["check_ins_14d"] == 0
    fresh = read(store, queries.engagement, org.cycle, now=day(3))
    (team,) = [i for i in fresh["items"] if i["team_id"] == str(org.team)]
    assert (team["stale_key_results"], team["lagging_key_results"], team["check_ins_14d"]) == (
        0, 0, 1)


def test_engagement_counts_key_results_on_pace_but_in_doubt_as_at_risk(
    store: Store, org: Org
) -> None:
    with at(day(39)):
        store.app.check_in(org.key_result, value=45, confidence=0.3, channel="api", actor="a")

    def counts(now: datetime) -> tuple[int, int]:
        report = read(store, queries.engagement, org.cycle, now=now)
        (team,) = [i for i in report["items"] if i["team_id"] == str(org.team)]
        return team["at_risk_key_results"], team["lagging_key_results"]

    assert counts(day(40)) == (1, 0)  # on pace (0.45 against 0.43), confidence 0.3
    assert counts(day(80)) == (0, 1)  # behind the pace by more than 0.2: off track


def test_directory_lists_teams_people_and_cycles(store: Store, org: Org) -> None:
    assert [t["name"] for t in read(store, queries.teams)] == ["Eng"]
    assert read(store, queries.people)[0]["team_id"] == str(org.team)
    cycles = read(store, queries.cycles)
    assert [(c["key"], c["status"]) for c in cycles] == [(org.cycle, "open"),
                                                         (org.other_cycle, "open")]
    assert cycles[0]["starts_on"] == date(2026, 10, 1).isoformat()


@pytest.mark.parametrize("processes", [1, 2])
def test_rebuilt_views_equal_the_live_ones(store: Store, org: Org, processes: int) -> None:
    with at(day(4)):
        store.app.check_in(org.key_result, value=33, channel="api", actor="a")
        store.app.realign_objective(org.child, parent_id=None, actor="a")
    catch_up(store)
    reads = [
        (queries.alignment_tree, (org.cycle,), {"as_of": day(3)}),
        (queries.alignment_tree, (org.cycle,), {}),
        (queries.audit, (), {"limit": 500}),
        (queries.history, (), {}),
        (queries.teams, (), {}),
    ]
    live = [read(store, q, *a, **k) for q, a, k in reads]
    positions = rebuild(store, processes=processes)
    assert set(positions.values()) == {store.feed().head()}
    rebuilt = [read(store, q, *a, **k) for q, a, k in reads]
    assert [_without_clock(x) for x in rebuilt] == [_without_clock(x) for x in live]


def _without_clock(value: Any) -> Any:
    """Drop the `valid_at` that defaults to the reading time."""
    if isinstance(value, dict):
        return {k: _without_clock(v) for k, v in value.items() if k != "valid_at"}
    return value


@pytest.mark.parametrize("query, kwargs", [
    (queries.history, {"from_cycle": "1999-Q1"}),
    (queries.history, {"to_cycle": "nope"}),
    (queries.history, {"owner_type": "team"}),
])
def test_reports_refuse_unknown_cycles_and_half_owners(
    store: Store, org: Org, query: Any, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInput):
        read(store, query, **kwargs)


def test_changes_refuse_since_after_until(store: Store, org: Org) -> None:
    with pytest.raises(InvalidInput):
        read(store, queries.changes, org.cycle, day(5), day(2))
