"""Several application processes writing the same PostgreSQL store."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest

from domain.alignment import is_forest
from domain.application import OkrApplication
from domain.errors import VersionMismatch
from domain.key_result import KeyResult
from domain.results import CommandResult
from tests.support.scenario import build_org


@pytest.fixture
def second_app(pg_env: dict[str, str]) -> Iterator[OkrApplication]:
    app = OkrApplication(env=pg_env)
    yield app
    app.close()


class RacingApplication(OkrApplication):
    """Waits at a barrier after deciding, so two writers save at the same moment."""

    name = OkrApplication.name
    barrier: threading.Barrier | None = None

    def commit(self, subject: Any, *others: Any, **kwargs: Any) -> CommandResult:
        barrier, self.barrier = self.barrier, None
        if barrier is not None:
            barrier.wait(timeout=10)
        return super().commit(subject, *others, **kwargs)


def test_crossed_realignments_racing_from_two_processes_cannot_make_a_loop(
    pg_app: OkrApplication, pg_env: dict[str, str]
) -> None:
    org = build_org(pg_app)
    a, b = org.child, UUID(pg_app.create_objective(
        cycle=org.cycle, title="B", description=None, owner=org.owner(), parent_id=None,
        actor="a").id)
    pg_app.realign_objective(a, parent_id=None, actor="a")
    barrier = threading.Barrier(2)
    writers = [RacingApplication(env=pg_env), RacingApplication(env=pg_env)]
    outcomes: list[object] = []

    def realign(app: RacingApplication, child: UUID, parent: UUID) -> None:
        app.barrier = barrier
        try:
            outcomes.append(app.realign_objective(child, parent_id=parent, actor="racer"))
        except Exception as refused:
            outcomes.append(refused)

    threads = [
        threading.Thread(target=realign, args=(writers[0], a, b)),
        threading.Thread(target=realign, args=(writers[1], b, a)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for writer in writers:
        writer.close()
    assert sorted(type(o).__name__ for o in outcomes) == ["AlignmentLoop", "CommandResult"]
    assert is_forest(pg_app.cycle(org.cycle).parents)


def test_stale_if_match_from_another_process_is_refused(
    pg_app: OkrApplication, second_app: OkrApplication
) -> None:
    org = build_org(pg_app)
    version = second_app.load(KeyResult, org.key_result).version
    pg_app.check_in(org.key_result, value=5, actor="a")
    with pytest.raises(VersionMismatch):
        second_app.check_in(org.key_result, value=6, actor="b", if_match=version)


def test_long_key_result_history_is_snapshotted_and_loads_the_same(
    pg_app: OkrApplication, pg_env: dict[str, str]
) -> None:
    org = build_org(pg_app)
    for value in range(120):
        pg_app.check_in(org.key_result, value=float(value), actor="a")
    assert pg_app.snapshots is not None
    assert list(pg_app.snapshots.get(org.key_result))
    fresh = OkrApplication(env={**pg_env, "AGGREGATE_CACHE_MAXSIZE": ""})
    try:
        loaded = fresh.load(KeyResult, org.key_result)
        assert (loaded.version, loaded.current, loaded.check_ins) == (121, 119.0, 120)
    finally:
        fresh.close()
