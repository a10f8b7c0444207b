"""Rules on text and keys: name/title/description/note/reason limits, email shape, cycle keys
and dates, owner shape, duplicate cycles. Refusals record nothing, in both stores.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from domain.cycle import Cycle
from domain.errors import DomainError, DuplicateEntity, InvalidInput
from domain.objective import Objective
from tests.support.world import World, assert_refused

LONG_NAME, LONG_TEXT, LONG_REASON = "n" * 201, "d" * 10_001, "r" * 1_001
Q = (date(2028, 1, 1), date(2028, 3, 31))




def cycle(w: World, key: str, starts_on: date = Q[0], ends_on: date = Q[1]) -> object:
    return w.app.create_cycle(key=key, starts_on=starts_on, ends_on=ends_on, actor="a")


def person(w: World, name: str = "Bo", email: str = "bo@example.org") -> object:
    return w.app.register_person(name=name, email=email, team_id=None, actor="a")


def objective(w: World, **changes: Any) -> object:
    return w.objective(**changes)


REFUSALS: dict[str, tuple[Callable[[World], object], type[DomainError]]] = {
    "empty team name": (lambda w: w.app.create_team(name="", parent_id=None, actor="a"),
                        InvalidInput),
    "blank team name": (lambda w: w.app.create_team(name="   ", parent_id=None, actor="a"),
                        InvalidInput),
    "team name of 201 characters": (
        lambda w: w.app.create_team(name=LONG_NAME, parent_id=None, actor="a"), InvalidInput),
    "person name of 201 characters": (lambda w: person(w, name=LONG_NAME), InvalidInput),
    "email without at sign": (lambda w: person(w, email="bo.example.org"), InvalidInput),
    "email with two at signs": (lambda w: person(w, email="bo@ex@ample.org"), InvalidInput),
    "email with a space": (lambda w: person(w, email="b o@example.org"), InvalidInput),
    "email without domain": (lambda w: person(w, email="bo@"), InvalidInput),
    "empty email": (lambda w: person(w, email=""), InvalidInput),
    "empty objective title": (lambda w: objective(w, title=""), InvalidInput),
    "objective title of 201 characters": (lambda w: objective(w, title=LONG_NAME),
                                          InvalidInput),
    "description over 10000 characters": (lambda w: objective(w, description=LONG_TEXT),
                                          InvalidInput),
    "objective edit with nothing to change": (
        lambda w: w.app.edit_objective(w.goal, actor="a"), InvalidInput),
    "edited title of 201 characters": (
        lambda w: w.app.edit_objective(w.goal, title=LONG_NAME, actor="a"), InvalidInput),
    "edited description over 10000 characters": (
        lambda w: w.app.edit_objective(w.goal, description=LONG_TEXT, actor="a"), InvalidInput),
    "edit reason over 1000 characters": (lambda w: w.app.edit_objective(
        w.goal, title="T", reason=LONG_REASON, actor="a"), InvalidInput),
    "reassign reason over 1000 characters": (lambda w: w.app.reassign_objective(
        w.goal, owner=w.person_owner(), reason=LONG_REASON, actor="a"), InvalidInput),
    "realign reason over 1000 characters": (lambda w: w.app.realign_objective(
        w.sub, parent_id=None, reason=LONG_REASON, actor="a"), InvalidInput),
    "archive reason over 1000 characters": (
        lambda w: w.app.archive_objective(w.sub, reason=LONG_REASON, actor="a"), InvalidInput),
    "move reason over 1000 characters": (lambda w: w.app.move_person(
        w.person, team_id=w.team, reason=LONG_REASON, actor="a"), InvalidInput),
    "KR title of 201 characters": (lambda w: w.app.add_key_result(
        w.goal, title=LONG_NAME, kind="binary", actor="a"), InvalidInput),
    "blank KR title": (
        lambda w: w.app.add_key_result(w.goal, title=" ", kind="binary", actor="a"),
        InvalidInput),
    "KR unit of 201 characters": (lambda w: w.app.add_key_result(
        w.goal, title="T", kind="binary", unit=LONG_NAME, actor="a"), InvalidInput),
    "edited KR title of 201 characters": (
        lambda w: w.app.edit_key_result(w.kr, title=LONG_NAME, actor="a"), InvalidInput),
    "KR edit reason over 1000 characters": (lambda w: w.app.edit_key_result(
        w.kr, title="T", reason=LONG_REASON, actor="a"), InvalidInput),
    "KR reassign reason over 1000 characters": (lambda w: w.app.reassign_key_result(
        w.kr, owner=None, reason=LONG_REASON, actor="a"), InvalidInput),
    "check-in note over 10000 characters": (
        lambda w: w.app.check_in(w.kr, value=1, note=LONG_TEXT,
                                 channel="api", actor="a"), InvalidInput),
    "grade note over 10000 characters": (
        lambda w: w.app.grade_key_result(w.kr, score=0.5, note=LONG_TEXT, actor="a"),
        InvalidInput),
    "empty cycle key": (lambda w: cycle(w, ""), InvalidInput),
    "cycle key of 33 characters": (lambda w: cycle(w, "Q" * 33), InvalidInput),
    "cycle key with a space": (lambda w: cycle(w, "2028 Q1"), InvalidInput),
    "cycle key with a slash": (lambda w: cycle(w, "2028/Q1"), InvalidInput),
    "cycle key with an accent": (lambda w: cycle(w, "2028-Qé"), InvalidInput),
    "cycle starting on its last day": (lambda w: cycle(w, "X", Q[1], Q[1]), InvalidInput),
    "cycle ending before it starts": (lambda w: cycle(w, "X", Q[1], Q[0]), InvalidInput),
    "duplicate cycle key": (lambda w: cycle(w, w.cycle), DuplicateEntity),
    "closing a malformed cycle key": (lambda w: w.app.close_cycle("no way", actor="a"),
                                      InvalidInput),
    "owner of an unknown type": (
        lambda w: objective(w, owner={"type": "robot", "id": str(w.team)}), InvalidInput),
    "owner id that is not a UUID": (
        lambda w: objective(w, owner={"type": "team", "id": "platform"}), InvalidInput),
    "team name with a NUL": (
        lambda w: w.app.create_team(name="A\x00B", parent_id=None, actor="a"), InvalidInput),
    "email with a NUL": (lambda w: person(w, email="b\x00o@example.org"), InvalidInput),
    "description with a NUL": (lambda w: objective(w, description="x\x00"), InvalidInput),
    "check-in note with a NUL": (
        lambda w: w.app.check_in(w.kr, value=1, note="\x00",
                                 channel="api", actor="a"), InvalidInput),
    "reason with a NUL": (lambda w: w.app.archive_objective(w.sub, reason="\x00", actor="a"),
                          InvalidInput),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_invalid_text_or_key_is_refused_and_records_nothing(world: World, case: str) -> None:
    command, error = REFUSALS[case]
    assert_refused(world.app, lambda: command(world), error)


def test_texts_at_their_limits_are_accepted(world: World) -> None:
    title, description, reason = "t" * 200, "d" * 10_000, "r" * 1_000
    oid = world.objective(title=title, description=description)
    world.app.edit_objective(oid, title=title, description=description, reason=reason,
                             actor="a")
    world.app.check_in(world.kr, value=1, note="n" * 10_000, channel="api", actor="a")
    world.app.create_team(name="x" * 200, parent_id=None, actor="a")
    loaded = world.app.load(Objective, oid)
    assert (loaded.title, loaded.description) == (title, description)


def test_one_character_names_and_an_empty_description_are_accepted(world: World) -> None:
    oid = world.objective(title="T", description="")
    world.app.edit_objective(oid, description="", actor="a")
    assert world.app.load(Objective, oid).description == ""


@pytest.mark.parametrize("key", ["2026-H2", "FY27.q1", "a", "Q" * 32, "x_y-z.0"])
def test_cycle_keys_of_the_allowed_alphabet_are_accepted(world: World, key: str) -> None:
    cycle(world, key, date(2028, 1, 1), date(2028, 1, 2))
    loaded = world.app.cycle(key)
    assert (loaded.key, loaded.status, loaded.id) == (key, "open", Cycle.create_id(key))
    assert (loaded.starts_on, loaded.ends_on) == (date(2028, 1, 1), date(2028, 1, 2))


def test_duplicate_cycle_key_is_refused_even_after_close(world: World) -> None:
    world.close()
    assert_refused(world.app, lambda: cycle(world, world.cycle), DuplicateEntity)


def test_cycle_key_with_trailing_newline_is_refused(world: World) -> None:
    assert_refused(world.app, lambda: cycle(world, "2028-Q1\n"), InvalidInput)


def test_email_with_trailing_newline_is_refused(world: World) -> None:
    assert_refused(world.app, lambda: person(world, email="bo@example.org\n"), InvalidInput)


def test_title_over_200_characters_is_refused_even_when_padded_with_spaces(
    world: World,
) -> None:
    assert_refused(world.app, lambda: objective(world, title="  " + "t" * 200), InvalidInput)
