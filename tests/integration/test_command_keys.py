"""Command keys: a keyed command's result is recorded with its events, so running it again
under the same key answers that result and records nothing, even when the first answer
was lost after the commit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from domain.application import OkrApplication
from domain.errors import IdempotencyKeyReused
from domain.results import CommandKey, CommandResult
from tests.support.world import build_world, log_length

KEY = CommandKey(owner="token-hash", key="k1", fingerprint="request-1")


def test_a_keyed_command_run_again_answers_its_recorded_result(pg_app: OkrApplication) -> None:
    world = build_world(pg_app)
    first = pg_app.run_keyed(KEY, lambda: pg_app.check_in(world.kr, value=5,
                                                          channel="api", actor="a"))
    head = log_length(pg_app)

    again = pg_app.run_keyed(KEY, lambda: pg_app.check_in(world.kr, value=5,
                                                          channel="api", actor="a"))

    assert again == first
    assert first.position == head
    assert log_length(pg_app) == head


def test_the_key_with_another_request_is_refused_and_records_nothing(
    pg_app: OkrApplication,
) -> None:
    world = build_world(pg_app)
    pg_app.run_keyed(KEY, lambda: pg_app.check_in(world.kr, value=5, channel="api", actor="a"))
    head = log_length(pg_app)
    other = CommandKey(KEY.owner, KEY.key, fingerprint="request-2")

    with pytest.raises(IdempotencyKeyReused):
        pg_app.run_keyed(other, lambda: pg_app.check_in(world.kr, value=6,
                                                        channel="api", actor="a"))
    assert log_length(pg_app) == head


def test_keys_of_other_owners_are_their_own(pg_app: OkrApplication) -> None:
    world = build_world(pg_app)
    mine = pg_app.run_keyed(KEY, lambda: pg_app.check_in(world.kr, value=5,
                                                         channel="api", actor="a"))
    theirs = pg_app.run_keyed(CommandKey("other-owner", KEY.key, KEY.fingerprint),
                              lambda: pg_app.check_in(world.kr, value=5, channel="api", actor="a"))
    assert theirs.version == mine.version + 1


def test_keyed_commands_in_one_batch_each_record_their_own_answer(
    pg_app: OkrApplication,
) -> None:
    world = build_world(pg_app)
    keys = [CommandKey("owner", f"batch-{n}", f"request-{n}") for n in range(2)]

    def keyed(key: CommandKey, value: float) -> Callable[[], CommandResult]:
        return lambda: pg_app.run_keyed(
            key, lambda: pg_app.check_in(world.kr, value=value, channel="api", actor="a"))

    answers = pg_app.run_batch([
        keyed(keys[0], 1), lambda: pg_app.check_in(world.flag, value=1, channel="api", actor="a"),
        keyed(keys[1], 2),
    ])
    head = log_length(pg_app)
    again = [pg_app.run_keyed(key, lambda: pg_app.check_in(world.kr, value=9,
                                                           channel="api", actor="a"))
             for key in keys]

    assert again == [answers[0], answers[2]]
    assert [a.position for a in again] == sorted({a.position for a in again})
    assert log_length(pg_app) == head


def test_a_commit_whose_answer_was_lost_in_the_store_is_answered_not_repeated(
    pg_app: OkrApplication, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The insert commits, the connection drops before the answer, the library retries:
    the retry's own insert conflicts, and the command, asked again, answers its result."""
    world = build_world(pg_app)
    insert = pg_app.recorder.insert_events
    calls: list[int] = []

    def commit_then_retry(events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        calls.append(len(events))
        if len(calls) == 1:
            insert(events, **kwargs)  # committed; its answer is lost
        return insert(events, **kwargs)  # the retry: a real IntegrityError from PostgreSQL

    monkeypatch.setattr(pg_app.recorder, "insert_events", commit_then_retry)
    before = log_length(pg_app)

    answer = pg_app.run_keyed(KEY, lambda: pg_app.check_in(world.kr, value=5,
                                                           channel="api", actor="a"))

    assert log_length(pg_app) == before + 1
    assert answer.position == before + 1
    assert len(calls) == 1
