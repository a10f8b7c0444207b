# ruff: noqa: F811 - pytest fixtures imported from tests.support.kafka_fixture are parameters here
"""The alerts consumer, from the topic alone, agrees with the engagement read (domain/health.py)
and judges only the present: nothing mid-replay, nothing about closed cycles or archived
objectives, its first check as soon as it has caught up."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from uuid import UUID

import psycopg
import pytest

from consumers.publisher.config import RelayConfig
from consumers.publisher.relay import RunningRelay, start_relay
from consumers.reference.alerts import Alerts
from consumers.testing import wait_until
from domain.application import OkrApplication
from domain.health import STALE_AFTER
from eventstore import Store
from projections import queries
from projections.runner import catch_up
from tests.support.consumers import consumer_of, drain, fast
from tests.support.kafka_fixture import (  # noqa: F401
    kafka_broker,
    kafka_store,
    kafka_topic,
    relay_config,
)

pytestmark = pytest.mark.kafka
TODAY = datetime.now(UTC).date()
OPEN, CLOSED = "open-cycle", "closed-cycle"


@pytest.fixture
def relay(store: Store, relay_config: RelayConfig) -> Iterator[RunningRelay]:
    running = start_relay(store, fast(relay_config))
    yield running
    running.stop()
    assert running.error is None


def flags(url: str) -> dict[str, set[str]]:
    """Key results the consumer holds flagged now, by kind."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT id::text, at_risk, lagging, stale "
                            "FROM alert_key_results").fetchall()
    return {kind: {kr for kr, *on in rows if on[i]}
            for i, kind in enumerate(("at_risk", "lagging", "stale"))}


def alerts_raised(url: str) -> list[tuple[str, str, datetime]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT kind, key_result_id::text, raised_at FROM alerts "
                            "ORDER BY id").fetchall()
    return [(kind, kr, at) for kind, kr, at in rows]


def check(store: Store, alerts: Alerts, now: datetime) -> int:
    with psycopg.connect(store.database_url, autocommit=True) as conn:
        return alerts.check(conn, now)


# -- a history with several teams, people, archived objectives and a closed cycle ----------
@dataclass
class History:
    teams: list[str]
    team_of_owner: dict[str, str | None] = field(default_factory=dict)
    team_of_kr: dict[str, str | None] = field(default_factory=dict)  # open cycle, active only
    closed_krs: set[str] = field(default_factory=set)
    archived_krs: set[str] = field(default_factory=set)


def cycle(app: OkrApplication, key: str, starts: int, ends: int) -> None:
    app.create_cycle(key=key, starts_on=TODAY + timedelta(days=starts),
                     ends_on=TODAY + timedelta(days=ends), actor="admin")


def objective_with_krs(
    app: OkrApplication, rng: random.Random, key: str, owner: dict[str, str], n: int = 3
) -> tuple[UUID, list[UUID]]:
    objective = UUID(app.create_objective(cycle=key, title=f"O{rng.randint(1, 99)}",
                                          description=None, owner=owner, parent_id=None,
                                          actor="admin").id)
    krs = []
    for _ in range(n):
        start, target = rng.sample([0, 10, 50, 100, 200], 2)
        krs.append(UUID(app.add_key_result(objective, title=f"K{rng.randint(1, 99)}",
                                           kind="numeric", start=start, target=target,
                                           actor="admin").id))
    return objective, krs


def check_in_at_random(app: OkrApplication, rng: random.Random, kr: UUID) -> None:
    app.check_in(kr, value=rng.uniform(-20, 220), confidence=rng.choice([None, 0.2, 0.45, 0.8]),
                 effective_at=datetime.now(UTC) - timedelta(days=rng.randint(0, 30)),
                 channel="api", actor="admin")


def organisation(app: OkrApplication, rng: random.Random) -> History:
    """Three teams; people in a team, moved to another, or in none; a closed cycle."""
    teams = [app.create_team(name=f"T{i}", parent_id=None, actor="admin").id for i in range(3)]
    history = History(teams)
    for i, team in enumerate([teams[0], teams[1], None]):
        person = app.register_person(name=f"P{i}", email=f"p{i}@ex.io",
                                     team_id=None if team is None else UUID(team),
                                     actor="admin").id
        history.team_of_owner[person] = team
    moved = next(p for p, t in history.team_of_owner.items() if t == teams[1])
    app.move_person(UUID(moved), team_id=UUID(teams[2]), actor="admin")
    history.team_of_owner[moved] = teams[2]
    history.team_of_owner |= {t: t for t in teams}
    cycle(app, CLOSED, -200, -110)
    for _ in range(3):
        _, krs = objective_with_krs(app, rng, CLOSED, owner_of(rng, history))
        for kr in krs:
            check_in_at_random(app, rng, kr)
        history.closed_krs |= {str(kr) for kr in krs}
    app.close_cycle(CLOSED, actor="admin")
    cycle(app, OPEN, -45, 45)
    return history


def owner_of(rng: random.Random, history: History) -> dict[str, str]:
    owner = rng.choice(sorted(history.team_of_owner))
    return {"type": "team" if owner in history.teams else "person", "id": owner}


def open_cycle_history(app: OkrApplication, rng: random.Random, history: History,
                       objectives: int = 10) -> list[UUID]:
    """Objectives of the open cycle with checked-in KRs; two are archived. Returns the KRs."""
    all_krs: list[UUID] = []
    archived = set(rng.sample(range(objectives), 2))
    for i in range(objectives):
        owner = owner_of(rng, history)
        objective, krs = objective_with_krs(app, rng, OPEN, owner)
        for kr in krs:
            for _ in range(rng.randint(0, 2)):
                check_in_at_random(app, rng, kr)
            if rng.random() < 0.2:
                app.edit_key_result(kr, target=rng.choice([300, 400]), actor="admin")
        if i in archived:
            app.archive_objective(objective, actor="admin")
            history.archived_krs |= {str(kr) for kr in krs}
        else:
            history.team_of_kr |= {str(kr): history.team_of_owner[owner["id"]] for kr in krs}
            all_krs += krs
    return all_krs


# -- the tests -------------------------------------------------------------------------------
def test_alerts_agree_with_the_engagement_read_team_by_team(
    store: Store, relay_config: RelayConfig, relay: RunningRelay
) -> None:
    rng = random.Random(2026)
    history = organisation(store.app, rng)
    krs = open_cycle_history(store.app, rng, history)
    split = datetime.now(UTC)  # KRs last active before it are stale 14 days later
    for kr in rng.sample(krs, len(krs) // 2):
        check_in_at_random(store.app, rng, kr)
    judged_at = split + STALE_AFTER
    alerts = Alerts()
    consumer = consumer_of(store, relay_config, alerts, "alerts")
    try:
        drain(consumer, store)
        assert consumer.caught_up()
        check(store, alerts, judged_at)
    finally:
        consumer.close()
    catch_up(store)
    with store.pool.connection() as conn:
        engagement = queries.engagement(conn, OPEN, now=judged_at)
    assert engagement is not None
    flagged = flags(store.database_url)
    mirrored = {kind: Counter(history.team_of_kr[kr] for kr in ids if kr in history.team_of_kr)
                for kind, ids in flagged.items()}
    for team in engagement["items"]:
        assert (mirrored["stale"][team["team_id"]], mirrored["lagging"][team["team_id"]],
                mirrored["at_risk"][team["team_id"]]) == (
            team["stale_key_results"], team["lagging_key_results"],
            team["at_risk_key_results"]), team
    assert all(flagged[kind] for kind in flagged), "the history shows every condition"
    assert not set().union(*flagged.values()) & (history.closed_krs | history.archived_krs)
    raised = alerts_raised(store.database_url)
    assert sorted((kind, kr) for kind, kr, _ in raised) == sorted(
        (kind, kr) for kind, ids in flagged.items() for kr in ids)
    assert {at for _, _, at in raised} == {judged_at}


def test_a_replay_raises_nothing_until_caught_up_then_only_what_holds_now_in_open_cycles(
    store: Store, relay_config: RelayConfig, relay: RunningRelay
) -> None:
    rng = random.Random(7)
    history = organisation(store.app, rng)
    open_cycle_history(store.app, rng, history, objectives=4)
    alerts = Alerts()
    consumer = consumer_of(store, relay_config, alerts, "alerts", max_poll_records=7)
    try:
        drain(consumer, store)  # every event applied, no check yet: the state alone
        assert alerts_raised(store.database_url) == []
        now = datetime.now(UTC)
        raised = check(store, alerts, now)
    finally:
        consumer.close()
    kinds = alerts_raised(store.database_url)
    assert raised == len(kinds) > 0
    assert {at for _, _, at in kinds} == {now}
    assert not {kr for _, kr, _ in kinds} & (history.closed_krs | history.archived_krs)


def test_key_results_of_an_archived_objective_stop_alerting(
    store: Store, relay_config: RelayConfig, relay: RunningRelay
) -> None:
    app = store.app
    team = app.create_team(name="Eng", parent_id=None, actor="admin").id
    cycle(app, "now", -45, 45)
    objective = UUID(app.create_objective(cycle="now", title="Ship", description=None,
                                          owner={"type": "team", "id": team}, parent_id=None,
                                          actor="admin").id)
    kr = UUID(app.add_key_result(objective, title="KR", kind="percentage", actor="admin").id)
    app.check_in(kr, value=0, channel="api", actor="admin")
    alerts = Alerts()
    consumer = consumer_of(store, relay_config, alerts, "alerts")
    try:
        drain(consumer, store)
        now = datetime.now(UTC)
        assert check(store, alerts, now) == 1  # lagging: nothing done at half the cycle
        app.archive_objective(objective, actor="admin")
        drain(consumer, store)
        assert check(store, alerts, now + STALE_AFTER * 2) == 0  # not stale: archived
    finally:
        consumer.close()
    assert flags(store.database_url) == {"at_risk": set(), "lagging": set(), "stale": set()}


def test_the_first_check_runs_as_soon_as_the_consumer_has_caught_up(
    store: Store, relay_config: RelayConfig, relay: RunningRelay
) -> None:
    rng = random.Random(3)
    history = organisation(store.app, rng)
    krs = open_cycle_history(store.app, rng, history, objectives=4)
    later = datetime.now(UTC) + STALE_AFTER * 2  # every open KR is stale by then
    alerts = Alerts()
    consumer = consumer_of(store, relay_config, alerts, "alerts", max_poll_records=5)
    stop = threading.Event()
    runner = threading.Thread(target=consumer.run, kwargs={
        "when_caught_up": lambda conn: alerts.check(conn, later), "every": 3600.0,
        "stop": stop})
    runner.start()
    try:
        wait_until(lambda: len(flags(store.database_url)["stale"]) == len(krs), timeout=60,
                   what="every open key result flagged stale by the first check")
    finally:
        stop.set()
        runner.join(timeout=30)
        consumer.close()


# -- delivery --------------------------------------------------------------------------------
class Webhook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        Webhook.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), Webhook)
    Webhook.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/alerts"
    server.shutdown()
    server.server_close()


def test_alerts_for_at_risk_lagging_and_stale_key_results_reach_the_webhook(
    store: Store, relay_config: RelayConfig, relay: RunningRelay, webhook: str
) -> None:
    app = store.app
    team = app.create_team(name="Eng", parent_id=None, actor="admin").id
    cycle(app, "now", -45, 45)
    objective = UUID(app.create_objective(cycle="now", title="Ship", description=None,
                                          owner={"type": "team", "id": team}, parent_id=None,
                                          actor="admin").id)
    risky = UUID(app.add_key_result(objective, title="risky", kind="percentage",
                                    actor="admin").id)
    behind = UUID(app.add_key_result(objective, title="behind", kind="percentage",
                                     actor="admin").id)
    app.check_in(risky, value=60, confidence=0.9, channel="api", actor="admin")
    app.check_in(risky, value=40, confidence=0.2,
                 channel="api", actor="admin")  # on pace (~0.5), in doubt
    app.check_in(behind, value=10, confidence=0.8,
                 channel="api", actor="admin")  # pace ~0.5: lagging
    alerts = Alerts(webhook_url=webhook, webhook_timeout=2.0)
    consumer = consumer_of(store, relay_config, alerts, "alerts")
    consumer.after_commit = alerts.deliver
    try:
        drain(consumer, store)
        now = datetime.now(UTC)
        assert check(store, alerts, now) == 2
        assert check(store, alerts, now) == 0  # still true: no new alert
        raised = check(store, alerts, now + timedelta(days=15))
    finally:
        consumer.close()
    assert raised == 2 + 1  # both stale; `risky` falls behind the pace (off track) too
    by_title = Counter((kind, title) for kind, title in titles(store.database_url))
    assert by_title == Counter({("at_risk", "risky"): 1, ("lagging", "behind"): 1,
                                ("lagging", "risky"): 1, ("stale", "behind"): 1,
                                ("stale", "risky"): 1})
    wait_until(lambda: len(Webhook.received) == 5, what="webhook deliveries")
    assert {a["kind"] for a in Webhook.received} == {"at_risk", "lagging", "stale"}
    assert all(a["cycle_key"] == "now" for a in Webhook.received)


def titles(url: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        return [(k, t) for k, t in conn.execute("SELECT kind, title FROM alerts ORDER BY id")]

