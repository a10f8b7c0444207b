"""Every domain rule refuses bad commands with its own error and records nothing.

Runs against the in-memory store and real PostgreSQL (`any_app`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from domain.application import OkrApplication
from domain.errors import (
    AlignmentLoop,
    CycleClosed,
    DomainError,
    DuplicateEntity,
    InvalidInput,
    NotFound,
    ObjectiveArchived,
    RuleViolation,
    UnknownReference,
    VersionMismatch,
)
from tests.support.scenario import Org, build_org

Command = Callable[[Org], object]
LONG = "x" * 201


def kr(org: Org, **changes: object) -> object:
    args: dict[str, object] = {"title": "KR", "kind": "numeric", "start": 0, "target": 10}
    args.update(changes)
    return org.app.add_key_result(org.objective, actor="a", **args)  # type: ignore[arg-type]


def check_in(org: Org, **changes: object) -> object:
    args: dict[str, object] = {"value": 1.0}
    args.update(changes)
    return org.app.check_in(org.key_result, actor="a", **args)  # type: ignore[arg-type]


def objective(org: Org, **changes: object) -> object:
    args: dict[str, object] = {
        "cycle": org.cycle, "title": "T", "description": None, "owner": org.owner(),
        "parent_id": None,
    }
    args.update(changes)
    return org.app.create_objective(actor="a", **args)  # type: ignore[arg-type]


REFUSALS: dict[str, tuple[Command, type[DomainError]]] = {
    "numeric KR without target": (lambda o: kr(o, target=None), InvalidInput),
    "numeric KR with start equal to target": (lambda o: kr(o, start=5, target=5), InvalidInput),
    "binary KR with a custom target": (lambda o: kr(o, kind="binary", target=5), InvalidInput),
    "unknown KR kind": (lambda o: kr(o, kind="vibes"), InvalidInput),
    "zero weight": (lambda o: kr(o, weight=0), InvalidInput),
    "negative weight": (lambda o: kr(o, weight=-1), InvalidInput),
    "infinite target": (lambda o: kr(o, target=math.inf), InvalidInput),
    "KR title too long": (lambda o: kr(o, title=LONG), InvalidInput),
    "empty KR title": (lambda o: kr(o, title=" "), InvalidInput),
    "NaN check-in": (lambda o: check_in(o, value=math.nan), InvalidInput),
    "boolean check-in": (lambda o: check_in(o, value=True), InvalidInput),
    "confidence above 1": (lambda o: check_in(o, confidence=1.5), InvalidInput),
    "confidence below 0": (lambda o: check_in(o, confidence=-0.1), InvalidInput),
    "future effective_at": (
        lambda o: check_in(o, effective_at=datetime.now(UTC) + timedelta(hours=1)), InvalidInput
    ),
    "naive effective_at": (lambda o: check_in(o, effective_at=datetime(2026, 1, 1)), InvalidInput),
    "note too long": (lambda o: check_in(o, note="n" * 10_001), InvalidInput),
    "reason too long": (
        lambda o: o.app.edit_objective(o.objective, title="New", reason="r" * 1001, actor="a"),
        InvalidInput,
    ),
    "description too long": (lambda o: objective(o, description="d" * 10_001), InvalidInput),
    "objective title too long": (lambda o: objective(o, title=LONG), InvalidInput),
    "edit with nothing to change": (
        lambda o: o.app.edit_objective(o.objective, actor="a"), InvalidInput
    ),
    "KR target equal to start": (
        lambda o: o.app.edit_key_result(o.key_result, target=0, actor="a"), InvalidInput
    ),
    "grade above 1": (lambda o: o.app.grade_key_result(o.key_result, score=2, actor="a"),
                      InvalidInput),
    "bad email": (
        lambda o: o.app.register_person(name="B", email="nope", team_id=None, actor="a"),
        InvalidInput,
    ),
    "bad cycle key": (
        lambda o: o.app.create_cycle(key="2026 Q4!", starts_on=date(2026, 1, 1),
                                     ends_on=date(2026, 2, 1), actor="a"),
        InvalidInput,
    ),
    "cycle ending before it starts": (
        lambda o: o.app.create_cycle(key="X", starts_on=date(2026, 2, 1),
                                     ends_on=date(2026, 1, 1), actor="a"),
        InvalidInput,
    ),
    "duplicate cycle key": (
        lambda o: o.app.create_cycle(key=o.cycle, starts_on=date(2026, 1, 1),
                                     ends_on=date(2026, 2, 1), actor="a"),
        DuplicateEntity,
    ),
    "owner that does not exist": (
        lambda o: objective(o, owner={"type": "person", "id": str(uuid4())}), UnknownReference
    ),
    "owner of an unknown type": (
        lambda o: objective(o, owner={"type": "robot", "id": str(o.team)}), InvalidInput
    ),
    "team id given as a person": (
        lambda o: objective(o, owner={"type": "person", "id": str(o.team)}), UnknownReference
    ),
    "parent that does not exist": (lambda o: objective(o, parent_id=uuid4()), UnknownReference),
    "parent in another cycle": (lambda o: objective(o, parent_id=o.other_objective),
                                RuleViolation),
    "objective in an unknown cycle": (lambda o: objective(o, cycle="1999-Q1"), UnknownReference),
    "person in an unknown team": (
        lambda o: o.app.register_person(name="B", email="b@x.io", team_id=uuid4(), actor="a"),
        UnknownReference,
    ),
    "unknown objective in the path": (
        lambda o: o.app.edit_objective(uuid4(), title="x", actor="a"), NotFound
    ),
    "KR id used as an objective": (
        lambda o: o.app.edit_objective(o.key_result, title="x", actor="a"), NotFound
    ),
    "unknown cycle to close": (lambda o: o.app.close_cycle("1999-Q1", actor="a"), NotFound),
    "alignment loop": (
        lambda o: o.app.realign_objective(o.objective, parent_id=o.child, actor="a"),
        AlignmentLoop,
    ),
    "own parent": (
        lambda o: o.app.realign_objective(o.objective, parent_id=o.objective, actor="a"),
        InvalidInput,
    ),
    "realign into another cycle": (
        lambda o: o.app.realign_objective(o.child, parent_id=o.other_objective, actor="a"),
        RuleViolation,
    ),
    "carry over into the same cycle": (
        lambda o: o.app.carry_over(o.objective, cycle=o.cycle, actor="a"), InvalidInput
    ),
    "stale If-Match on an edit": (
        lambda o: o.app.edit_objective(o.objective, title="x", actor="a", if_match=99),
        VersionMismatch,
    ),
    "stale If-Match on a check-in": (lambda o: check_in(o, if_match=7), VersionMismatch),
    "stale If-Match on a realignment": (
        lambda o: o.app.realign_objective(o.child, parent_id=None, actor="a", if_match=5),
        VersionMismatch,
    ),
    "stale If-Match on a move": (
        lambda o: o.app.move_person(o.person, team_id=o.team, actor="a", if_match=9),
        VersionMismatch,
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refused_command_raises_its_error_and_records_nothing(
    any_app: OkrApplication, case: str
) -> None:
    org = build_org(any_app)
    command, error = REFUSALS[case]
    before = org.log_length()
    with pytest.raises(error):
        command(org)
    assert org.log_length() == before


def closed(app: OkrApplication) -> Org:
    org = build_org(app)
    app.close_cycle(org.cycle, actor="admin")
    return org


AFTER_CLOSE: dict[str, Command] = {
    "edit objective": lambda o: o.app.edit_objective(o.objective, title="x", actor="a"),
    "reassign objective": lambda o: o.app.reassign_objective(
        o.objective, owner=o.owner("person"), actor="a"),
    "realign objective": lambda o: o.app.realign_objective(o.child, parent_id=None, actor="a"),
    "archive objective": lambda o: o.app.archive_objective(o.objective, actor="a"),
    "add key result": kr,
    "edit key result": lambda o: o.app.edit_key_result(o.key_result, title="x", actor="a"),
    "reassign key result": lambda o: o.app.reassign_key_result(
        o.key_result, owner=o.owner("person"), actor="a"),
    "check in": check_in,
    "grade": lambda o: o.app.grade_key_result(o.key_result, score=0.5, actor="a"),
    "create objective": objective,
    "close again": lambda o: o.app.close_cycle(o.cycle, actor="a"),
}


@pytest.mark.parametrize("case", sorted(AFTER_CLOSE))
def test_closed_cycle_refuses_changes_and_records_nothing(
    any_app: OkrApplication, case: str
) -> None:
    org = closed(any_app)
    before = org.log_length()
    with pytest.raises(CycleClosed):
        AFTER_CLOSE[case](org)
    assert org.log_length() == before


ON_ARCHIVED: dict[str, Command] = {
    "edit": lambda o: o.app.edit_objective(o.child, title="x", actor="a"),
    "realign": lambda o: o.app.realign_objective(o.child, parent_id=None, actor="a"),
    "archive again": lambda o: o.app.archive_objective(o.child, actor="a"),
    "align a new objective under it": lambda o: objective(o, parent_id=o.child),
}


@pytest.mark.parametrize("case", sorted(ON_ARCHIVED))
def test_archived_objective_refuses_changes_and_records_nothing(
    memory_app: OkrApplication, case: str
) -> None:
    org = build_org(memory_app)
    memory_app.archive_objective(org.child, actor="a")
    before = org.log_length()
    with pytest.raises(ObjectiveArchived):
        ON_ARCHIVED[case](org)
    assert org.log_length() == before
