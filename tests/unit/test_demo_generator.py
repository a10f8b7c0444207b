"""The demo generator on the in-memory store: counts, variety and historical times."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.application import OkrApplication
from domain.clock import now as domain_now
from domain.clock import system_clock
from domain.cycle import Cycle
from domain.key_result import KeyResult
from domain.objective import Objective
from domain.organisation import Person, Team
from eventstore.memory import MEMORY_ENV
from okr.demo import DemoSummary, Scale, StoreNotEmpty, generate

FIXED_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _memory_app() -> OkrApplication:
    return OkrApplication(env=MEMORY_ENV)


def _events(app: OkrApplication) -> list[Any]:
    notifications = app.recorder.select_notifications(start=1, limit=1_000_000)
    return [app.mapper.to_domain_event(n) for n in notifications]


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[DemoSummary, list[Any]]]:
    app = _memory_app()
    summary = generate(app, seed=7, scale="demo")
    yield summary, _events(app)
    app.close()


def test_demo_builds_the_promised_organisation(demo: tuple[DemoSummary, list[Any]]) -> None:
    summary, events = demo
    kinds = Counter(type(e) for e in events)
    assert summary.teams == kinds[Team.Created] >= 6  # the company and 5+ teams under it
    assert summary.people == kinds[Person.Created] >= 30
    assert len(summary.cycles) == kinds[Cycle.Created] >= 3
    assert kinds[Cycle.Closed] == len(summary.closed_cycles) >= 1
    assert summary.current_cycle not in summary.closed_cycles
    assert summary.objectives == kinds[Objective.Created]
    assert summary.key_results == kinds[KeyResult.Created]
    assert summary.check_ins == kinds[KeyResult.CheckedIn]
    assert summary.events == len(events)


def test_demo_every_team_nests_under_the_company(demo: tuple[DemoSummary, list[Any]]) -> None:
    _, events = demo
    teams = [e for e in events if type(e) is Team.Created]
    company = [t for t in teams if t.parent_id is None]
    assert len(company) == 1
    assert all(t.parent_id == company[0].originator_id for t in teams if t not in company)
    emails = [e.email for e in events if type(e) is Person.Created]
    assert len(set(emails)) == len(emails)


def test_demo_history_has_the_promised_variety(demo: tuple[DemoSummary, list[Any]]) -> None:
    _, events = demo
    kinds = Counter(type(e) for e in events)
    for kind in (Objective.Realigned, Objective.Reassigned, Objective.Archived,
                 Objective.Edited, KeyResult.Edited, KeyResult.Reassigned,
                 KeyResult.Graded, Person.MovedTeam):
        assert kinds[kind] >= 1, kind
    created = [e for e in events if type(e) is Objective.Created]
    assert any(e.carried_from is not None for e in created)
    assert any(e.parent_id is not None for e in created)  # top-down
    realigned = {e.originator_id for e in events if type(e) is Objective.Realigned}
    bottom_up = [e for e in created if e.parent_id is None and e.originator_id in realigned]
    assert bottom_up
    assert all(e.reason for e in events if type(e) in (Objective.Edited, KeyResult.Edited))
    assert any(e.target is not None for e in events if type(e) is KeyResult.Edited)


def test_demo_records_back_dated_corrections(demo: tuple[DemoSummary, list[Any]]) -> None:
    _, events = demo
    check_ins = [e for e in events if type(e) is KeyResult.CheckedIn]
    assert all(e.effective_at <= e.timestamp for e in check_ins)
    back_dated = [e for e in check_ins if (e.timestamp - e.effective_at).days >= 1]
    assert any(e.note and e.note.startswith("Correction") for e in back_dated)
    assert {e.confidence for e in check_ins} - {None}
    assert len({e.note for e in check_ins}) > 5


def test_demo_recorded_at_never_in_the_future(demo: tuple[DemoSummary, list[Any]]) -> None:
    summary, events = demo
    now = system_clock()
    assert all(e.timestamp <= now for e in events)
    assert (now - events[0].timestamp).days > 270  # history spread over past quarters
    assert summary.first_recorded_at <= events[0].timestamp
    assert domain_now() >= now  # the system clock is back once the demo is done


def test_demo_recorded_at_strictly_increasing_in_log_order(
    demo: tuple[DemoSummary, list[Any]],
) -> None:
    _, events = demo
    for before, after in itertools.pairwise(events):
        assert before.timestamp < after.timestamp, (type(before), type(after))


def test_demo_same_seed_same_history() -> None:
    small = Scale(teams=2, people_per_team=3, quarters=2, company_objectives=1,
                  objectives_per_team=1, person_objectives_per_team=1)
    runs = []
    for _ in range(2):
        app = _memory_app()
        generate(app, seed=11, scale=small, now=FIXED_NOW)
        runs.append([(type(e), e.timestamp, getattr(e, "value", None)) for e in _events(app)])
        app.close()
    assert runs[0] == runs[1]


def test_demo_refuses_a_non_empty_store() -> None:
    app = _memory_app()
    app.create_team(name="Existing", parent_id=None, actor="admin")
    with pytest.raises(StoreNotEmpty):
        generate(app, scale="small")
    assert app.recorder.max_notification_id() == 1
