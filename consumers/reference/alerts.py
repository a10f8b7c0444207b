"""Reference consumer 2: alerts when a key result of an open cycle turns at risk, lagging or
stale, by the rules of the API (domain/health.py).

- lagging: off track, progress more than 0.2 behind the linear pace of the KR's cycle;
- at risk: on pace, but the confidence of its applicable check-in is below 0.5;
- stale: no check-in for more than 14 days.

The handlers only record what the events say (cycles, archived objectives, key results and
their applicable check-in); alerts come from `check(conn, now)`, which judges the present:
the consumer runs it once it has caught up with the topic (never mid-replay), after each
batch it consumes while caught up, and every `--check-every` seconds. So a replay raises
nothing about the past, only what holds now. Key results of closed cycles or of archived
objectives never alert. An alert is raised when a condition turns true (not again while it
holds), stored in `alerts`, logged, and POSTed to the webhook, if any, after the database
commit (outbox).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from consumers.events import ConsumedEvent
from consumers.reference.webhook import Webhook
from consumers.toolkit import Handler, by_public_type
from domain.base import EventClass
from domain.cycle import Cycle
from domain.health import Health, health, is_stale, pace
from domain.key_result import KeyResult
from domain.objective import Objective
from domain.organisation import Person, Team
from domain.progress import kr_progress
from eventstore.database import one_at_a_time

log = logging.getLogger(__name__)
KINDS = ("at_risk", "lagging", "stale")
Cur = psycopg.Cursor[Any]
DictCur = psycopg.Cursor[dict[str, Any]]

DDL = """
CREATE TABLE IF NOT EXISTS alert_cycles (
    key text PRIMARY KEY, id uuid NOT NULL, starts_on date NOT NULL, ends_on date NOT NULL,
    closed boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS alert_archived_objectives (id uuid PRIMARY KEY);
CREATE TABLE IF NOT EXISTS alert_key_results (
    id uuid PRIMARY KEY, cycle_key text NOT NULL, title text NOT NULL,
    start double precision NOT NULL, target double precision NOT NULL,
    current double precision, confidence double precision,
    current_effective_at timestamptz, current_position bigint,
    last_activity_at timestamptz NOT NULL, closed boolean NOT NULL DEFAULT false,
    at_risk boolean NOT NULL DEFAULT false, lagging boolean NOT NULL DEFAULT false,
    stale boolean NOT NULL DEFAULT false
);
-- Added with the archived-objective rule; tables of earlier versions need a replay to fill it.
ALTER TABLE alert_key_results ADD COLUMN IF NOT EXISTS objective_id uuid;
CREATE TABLE IF NOT EXISTS alerts (
    id bigserial PRIMARY KEY, kind text NOT NULL, key_result_id uuid NOT NULL,
    cycle_key text NOT NULL, title text NOT NULL, raised_at timestamptz NOT NULL,
    detail jsonb NOT NULL, delivered_at timestamptz, delivery_error text,
    delivery_attempts integer NOT NULL DEFAULT 0
);
"""
# Every KR that may alert now (open) or holds a flag to clear.
JUDGED = """
SELECT k.id::text, k.cycle_key, k.title, k.start, k.target, k.current, k.confidence,
       k.last_activity_at, k.at_risk, k.lagging, k.stale, c.starts_on, c.ends_on,
       (c.key IS NOT NULL AND NOT c.closed AND NOT k.closed AND a.id IS NULL) AS open
FROM alert_key_results k
LEFT JOIN alert_cycles c ON c.key = k.cycle_key
LEFT JOIN alert_archived_objectives a ON a.id = k.objective_id
WHERE (c.key IS NOT NULL AND NOT c.closed AND NOT k.closed AND a.id IS NULL)
   OR k.at_risk OR k.lagging OR k.stale
"""


def conditions(kr: Mapping[str, Any], now: datetime) -> dict[str, bool]:
    """The alert conditions of a KR row at `now` (none for a KR that is not open)."""
    if not kr["open"]:
        return dict.fromkeys(KINDS, False)
    progress = kr_progress(kr["start"], kr["target"], kr["current"])
    judged = health(progress, pace(kr["starts_on"], kr["ends_on"], now), kr["confidence"])
    return {"at_risk": judged is Health.AT_RISK, "lagging": judged is Health.OFF_TRACK,
            "stale": is_stale(kr["last_activity_at"], now)}


class Alerts:
    """The ConsumerApp of the alerts service."""

    name = "alerts"
    # Health depends on key results, their cycle and whether their objective is archived; a
    # reassignment, a realignment or a hand grade changes no condition.
    ignores: frozenset[EventClass] = frozenset({
        Team.Created, Person.Created, Person.MovedTeam, Cycle.PlanEntryRecorded,
        Objective.Created, Objective.Edited, Objective.Reassigned, Objective.Realigned,
        Objective.KeyResultAdded, Objective.Closed,
        KeyResult.Reassigned, KeyResult.Graded,
    })

    def __init__(self, webhook_url: str | None = None, webhook_timeout: float = 5.0) -> None:
        self.webhook = None if not webhook_url else Webhook(webhook_url, webhook_timeout)

    def setup(self, conn: psycopg.Connection[Any]) -> None:
        with one_at_a_time(conn, "alerts_ddl"):
            conn.execute(DDL)

    def reset(self, cur: Cur) -> None:
        cur.execute("TRUNCATE alert_cycles, alert_archived_objectives, alert_key_results, "
                    "alerts")

    def handled(self) -> Mapping[EventClass, Handler]:
        return {
            Cycle.Created: self.cycle_created,
            Cycle.Closed: self.cycle_closed,
            Objective.Archived: self.objective_archived,
            KeyResult.Created: self.key_result_created,
            KeyResult.Edited: self.key_result_edited,
            KeyResult.CheckedIn: self.checked_in,
            KeyResult.Closed: self.key_result_closed,
        }

    def handlers(self) -> Mapping[str, Handler]:
        return by_public_type(self.handled())

    # -- handlers: state only (partitions are ordered per aggregate, so any order works) ----
    def cycle_created(self, event: ConsumedEvent, cur: Cur) -> None:
        d = event.data.model_dump(mode="json")
        cur.execute("INSERT INTO alert_cycles (key, id, starts_on, ends_on) "
                    "VALUES (%s, %s, %s, %s) ON CONFLICT (key) DO NOTHING",
                    (d["key"], event.aggregate_id, d["starts_on"], d["ends_on"]))

    def cycle_closed(self, event: ConsumedEvent, cur: Cur) -> None:
        cur.execute("UPDATE alert_cycles SET closed = true WHERE id = %s", (event.aggregate_id,))

    def objective_archived(self, event: ConsumedEvent, cur: Cur) -> None:
        # Kept by id: the objective's key results may arrive after it (other partitions).
        cur.execute("INSERT INTO alert_archived_objectives (id) VALUES (%s) "
                    "ON CONFLICT DO NOTHING", (event.aggregate_id,))

    def key_result_created(self, event: ConsumedEvent, cur: Cur) -> None:
        d = event.data.model_dump(mode="json")
        cur.execute(
            "INSERT INTO alert_key_results (id, objective_id, cycle_key, title, start, target, "
            "last_activity_at) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
            (event.aggregate_id, d["objective_id"], d["cycle_key"], d["title"], d["start"],
             d["target"], event.time),
        )

    def key_result_edited(self, event: ConsumedEvent, cur: Cur) -> None:
        d = event.data.model_dump(mode="json")
        cur.execute("UPDATE alert_key_results SET title = coalesce(%s, title), "
                    "target = coalesce(%s, target) WHERE id = %s",
                    (d["title"], d["target"], event.aggregate_id))

    def key_result_closed(self, event: ConsumedEvent, cur: Cur) -> None:
        cur.execute("UPDATE alert_key_results SET closed = true WHERE id = %s",
                    (event.aggregate_id,))

    def checked_in(self, event: ConsumedEvent, cur: Cur) -> None:
        """The applicable check-in: greatest effective_at, ties to the later recorded."""
        d = event.data.model_dump(mode="json")
        cur.execute(
            "UPDATE alert_key_results SET current = %(value)s, confidence = %(confidence)s, "
            "current_effective_at = %(at)s, current_position = %(position)s "
            "WHERE id = %(id)s AND (current_effective_at IS NULL OR "
            "(current_effective_at, current_position) <= (%(at)s::timestamptz, %(position)s))",
            {"value": d["value"], "confidence": d["confidence"], "at": d["effective_at"],
             "position": event.position, "id": event.aggregate_id},
        )
        cur.execute("UPDATE alert_key_results SET last_activity_at = greatest("
                    "last_activity_at, %s) WHERE id = %s", (event.time, event.aggregate_id))

    # -- judging the present ---------------------------------------------------------------
    def check(self, conn: psycopg.Connection[Any], now: datetime) -> int:
        """Judge every key result at `now`: raise the conditions that turned true, clear
        those that no longer hold; then deliver. Returns the number of alerts raised."""
        raised = 0
        with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
            for kr in cur.execute(JUDGED).fetchall():
                raised += self._judge(cur, kr, now)
        self.deliver(conn)
        return raised

    def _judge(self, cur: DictCur, kr: dict[str, Any], now: datetime) -> int:
        holds = conditions(kr, now)
        turned_on = [kind for kind in KINDS if holds[kind] and not kr[kind]]
        for kind in turned_on:
            self._raise(cur, kind, kr, now)
        if any(holds[kind] != kr[kind] for kind in KINDS):
            cur.execute("UPDATE alert_key_results SET at_risk = %s, lagging = %s, stale = %s "
                        "WHERE id = %s", (*(holds[kind] for kind in KINDS), kr["id"]))
        return len(turned_on)

    def _raise(self, cur: DictCur, kind: str, kr: dict[str, Any], now: datetime) -> None:
        progress = kr_progress(kr["start"], kr["target"], kr["current"])
        detail = {"progress": round(progress, 4),
                  "expected": round(pace(kr["starts_on"], kr["ends_on"], now), 4),
                  "confidence": kr["confidence"],
                  "last_activity_at": kr["last_activity_at"].isoformat()}
        cur.execute(
            "INSERT INTO alerts (kind, key_result_id, cycle_key, title, raised_at, detail) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (kind, kr["id"], kr["cycle_key"], kr["title"], now, Jsonb(detail)),
        )
        log.warning("alert %s: key result %s (%s) %s", kind, kr["id"], kr["title"], detail)

    # -- delivery (after commit) ---------------------------------------------------------
    def deliver(self, conn: psycopg.Connection[Any]) -> int:
        """POST undelivered alerts to the webhook, if any (consumers/reference/webhook.py)."""
        return 0 if self.webhook is None else self.webhook.deliver(conn)
