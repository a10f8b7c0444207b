# ruff: noqa: F811 - pytest fixtures imported from tests.support.kafka_fixture are parameters here
"""The tree mirror rebuilds every cycle's tree from the topic alone (alerts: test_kafka_alerts)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import psycopg
import pytest

from consumers.publisher.config import RelayConfig
from consumers.publisher.relay import RunningRelay, start_relay
from consumers.reference.tree_mirror import TreeMirror, alignment_tree
from domain.application import OkrApplication
from domain.errors import DomainError
from eventstore import Store
from projections.runner import catch_up
from projections.tree import alignment_tree as projection_tree
from tests.support.consumers import consumer_of, drain, fast, normalise
from tests.support.kafka_fixture import (  # noqa: F401
    kafka_broker,
    kafka_store,
    kafka_topic,
    relay_config,
)
from tests.support.oracle import oracle_tree

pytestmark = pytest.mark.kafka
NOW = datetime.now(UTC)


@pytest.fixture
def relay(store: Store, relay_config: RelayConfig) -> Iterator[RunningRelay]:
    running = start_relay(store, fast(relay_config))
    yield running
    running.stop()
    assert running.error is None


def random_history(app: OkrApplication, seed: int, steps: int = 120) -> list[str]:
    """Teams, two cycles, objectives in a forest, KRs, back-dated check-ins and changes."""
    rng = random.Random(seed)
    teams = [UUID(app.create_team(name=f"T{i}", parent_id=None, actor="admin").id)
             for i in range(3)]
    cycles = ["2026-Q3", "2026-Q4"]
    app.create_cycle(key=cycles[0], starts_on=date(2026, 7, 1), ends_on=date(2026, 9, 30),
                     actor="admin")
    app.create_cycle(key=cycles[1], starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31),
                     actor="admin")
    objectives: dict[str, list[UUID]] = {c: [] for c in cycles}
    krs: list[UUID] = []

    def owner() -> dict[str, str]:
        return {"type": "team", "id": str(rng.choice(teams))}

    for _ in range(steps):
        cycle = rng.choice(cycles)
        mine = objectives[cycle]
        action = rng.choice(["objective", "kr", "check_in", "check_in", "check_in", "edit",
                             "realign", "archive", "reassign", "edit_kr"])
        try:
            if action == "objective" or not mine:
                parent = rng.choice([None, *mine])
                mine.append(UUID(app.create_objective(
                    cycle=cycle, title=f"O{rng.randint(1, 40)}", description=None,
                    owner=owner(), parent_id=parent, actor="admin").id))
            elif action == "kr":
                start, target = sorted(rng.sample(range(0, 200), 2))
                if rng.random() < 0.3:
                    start, target = target, start
                krs.append(UUID(app.add_key_result(
                    rng.choice(mine), title=f"K{rng.randint(1, 30)}", kind="numeric",
                    start=start, target=target, weight=rng.choice([1, 2, 0.5]),
                    actor="admin").id))
            elif action == "check_in" and krs:
                app.check_in(rng.choice(krs), value=rng.uniform(-10, 210),
                             confidence=rng.choice([None, 0.2, 0.9]),
                             effective_at=NOW - timedelta(days=rng.randint(0, 30),
                                                          hours=rng.choice([0, 0, 5])),
                             channel="api", actor="admin")
            elif action == "edit":
                app.edit_objective(rng.choice(mine), title=f"E{rng.randint(1, 40)}",
                                   actor="admin")
            elif action == "realign":
                app.realign_objective(rng.choice(mine), parent_id=rng.choice([None, *mine]),
                                      actor="admin")
            elif action == "archive" and rng.random() < 0.3:
                app.archive_objective(rng.choice(mine), actor="admin")
            elif action == "reassign":
                app.reassign_objective(rng.choice(mine), owner=owner(), actor="admin")
            elif action == "edit_kr" and krs:
                app.edit_key_result(rng.choice(krs), title=f"R{rng.randint(1, 30)}",
                                    weight=rng.choice([1, 3]), actor="admin")
        except DomainError:
            pass  # refused commands record nothing; the history goes on
    return cycles


@pytest.mark.parametrize("seed", [7, 2026])
def test_tree_mirror_equals_a_fold_of_the_store_after_a_random_history(
    store: Store, relay_config: RelayConfig, relay: RunningRelay, seed: int
) -> None:
    cycles = random_history(store.app, seed)
    consumer = consumer_of(store, relay_config, TreeMirror(), f"mirror-{seed}")
    try:
        drain(consumer, store)
        catch_up(store)  # the ledger's own projections, for a second opinion
        with psycopg.connect(store.database_url) as conn:
            for cycle in cycles:
                mirrored = normalise(alignment_tree(conn, cycle))
                now = datetime.now(UTC)
                assert mirrored == normalise(oracle_tree(store.app, cycle, now, now))
                projected = projection_tree(conn, cycle)
                assert projected is not None and mirrored == normalise(projected["roots"])
        # Replay from the beginning rebuilds the same tree.
        with psycopg.connect(store.database_url) as conn:
            before = {c: normalise(alignment_tree(conn, c)) for c in cycles}
        consumer.replay(clear=True)
        drain(consumer, store)
        with psycopg.connect(store.database_url) as conn:
            assert {c: normalise(alignment_tree(conn, c)) for c in cycles} == before
    finally:
        consumer.close()

