"""Reference consumer 2: alerts when a key result turns at risk, lagging or stale.

- at risk: the applicable check-in has confidence < 0.5;
- lagging: progress more than 0.2 behind the linear pace of the KR's cycle;
- stale: no check-in for more than 14 days (from `check(now)`, run periodically).
Lagging and stale are the API's rules (domain/health.py).
An alert is raised when a condition turns true (not again while it holds), stored in
`alerts`, logged, and POSTed to the webhook, if any, after the database commit (outbox).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from consumers.events import ConsumedEvent
from consumers.toolkit import Handler, by_public_type
from domain.base import EventClass
from domain.cycle import Cycle
from domain.health import is_lagging, is_stale, pace
from domain.key_result import KeyResult
from domain.objective import Objective
from domain.organisation import Person, Team
from domain.progress import kr_progress
from eventstore.database import one_at_a_time

log = logging.getLogger(__name__)
AT_RISK_CONFIDENCE = 0.5
MAX_DELIVERY_ATTEMPTS = 5
Cur = psycopg.Cursor[Any]

DDL = """
CREATE TABLE IF NOT EXISTS alert_cycles (
    key text PRIMARY KEY, id uuid NOT NULL, starts_on date NOT NULL, ends_on date NOT NULL,
    closed boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS alert_key_results (
    id uuid PRIMARY KEY, cycle_key text NOT NULL, title text NOT NULL,
    start double precision NOT NULL, target double precision NOT NULL,
    current double precision, confidence double precision,
    current_effective_at timestamptz, current_position bigint,
    last_activity_at timestamptz NOT NULL, closed boolean NOT NULL DEFAULT false,
    at_risk boolean NOT NULL DEFAULT false, lagging boolean NOT NULL DEFAULT false,
    stale boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS alerts (
    id bigserial PRIMARY KEY, kind text NOT NULL, key_result_id uuid NOT NULL,
    cycle_key text NOT NULL, title text NOT NULL, raised_at timestamptz NOT NULL,
    detail jsonb NOT NULL, delivered_at timestamptz, delivery_error text,
    delivery_attempts integer NOT NULL DEFAULT 0
);
"""


class Alerts:
    """The ConsumerApp of the alerts service."""

    name = "alerts"
    # Key results and their cycles only; a reassignment or a hand grade changes no condition.
    ignores: frozenset[EventClass] = frozenset({
        Team.Created, Person.Created, Person.MovedTeam, Cycle.PlanEntryRecorded,
        Objective.Created, Objective.Edited, Objective.Reassigned, Objective.Realigned,
        Objective.Archived, Objective.KeyResultAdded, Objective.Closed,
        KeyResult.Reassigned, KeyResult.Graded,
    })

    def __init__(self, webhook_url: str | None = None, webhook_timeout: float = 5.0) -> None:
        self.webhook_url = webhook_url
        self.webhook_timeout = webhook_timeout

    def setup(self, conn: psycopg.Connection[Any]) -> None:
        with one_at_a_time(conn, "alerts_ddl"):
            conn.execute(DDL)

    def reset(self, cur: Cur) -> None:
        cur.execute("TRUNCATE alert_cycles, alert_key_results, alerts")

    def handled(self) -> Mapping[EventClass, Handler]:
        return {
            Cycle.Created: self.cycle_created,
            Cycle.Closed: self.cycle_closed,
            KeyResult.Created: self.key_result_created,
            KeyResult.Edited: self.key_result_edited,
            KeyResult.CheckedIn: self.checked_in,
            KeyResult.Closed: self.key_result_closed,
        }

    def handlers(self) -> Mapping[str, Handler]:
        return by_public_type(self.handled())

    # -- handlers ------------------------------------------------------------------------
    def cycle_created(self, event: ConsumedEvent, cur: Cur) -> None:
        d = event.data.model_dump(mode="json")
        cur.execute("INSERT INTO alert_cycles (key, id, starts_on, ends_on) "
                    "VALUES (%s, %s, %s, %s) ON CONFLICT (key) DO NOTHING",
                    (d["key"], event.aggregate_id, d["starts_on"], d["ends_on"]))
        # Partitions are ordered per aggregate only: KRs of this cycle may have come first.
        krs = cur.execute("SELECT id::text, last_activity_at FROM alert_key_results "
                          "WHERE cycle_key = %s", (d["key"],)).fetchall()
        for kr_id, last_activity_at in krs:
            self.evaluate(cur, kr_id, last_activity_at, check_stale=False)

    def cycle_closed(self, event: ConsumedEvent, cur: Cur) -> None:
        # The cycle's KRs are closed by their own events in the same transaction.
        cur.execute("UPDATE alert_cycles SET closed = true WHERE id = %s", (event.aggregate_id,))

    def key_result_created(self, event: ConsumedEvent, cur: Cur) -> None:
        d = event.data.model_dump(mode="json")
        cur.execute(
            "INSERT INTO alert_key_results (id, cycle_key, title, start, target, "
            "last_activity_at) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
            (event.aggregate_id, d["cycle_key"], d["title"], d["start"], d["target"],
             event.time),
        )

    def key_result_edited(self, event: ConsumedEvent, cur: Cur) -> None:
        d = event.data.model_dump(mode="json")
        cur.execute("UPDATE alert_key_results SET title = coalesce(%s, title), "
                    "target = coalesce(%s, target) WHERE id = %s",
                    (d["title"], d["target"], event.aggregate_id))
        self.evaluate(cur, event.aggregate_id, event.time, check_stale=False)

    def key_result_closed(self, event: ConsumedEvent, cur: Cur) -> None:
        cur.execute("UPDATE alert_key_results SET closed = true WHERE id = %s",
                    (event.aggregate_id,))

    def checked_in(self, event: ConsumedEvent, cur: Cur) -> None:
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
                    "last_activity_at, %s), stale = false WHERE id = %s",
                    (event.time, event.aggregate_id))
        self.evaluate(cur, event.aggregate_id, event.time, check_stale=False)

    # -- rules ---------------------------------------------------------------------------
    def check(self, conn: psycopg.Connection[Any], now: datetime) -> int:
        """Periodic check at `now`: stale and lagging KRs of open cycles; alerts raised."""
        raised = 0
        with conn.transaction(), conn.cursor() as cur:
            ids = [row[0] for row in cur.execute(
                "SELECT id::text FROM alert_key_results WHERE NOT closed").fetchall()]
            for kr_id in ids:
                raised += self.evaluate(cur, kr_id, now, check_stale=True)
        self.deliver(conn)
        return raised

    def evaluate(self, cur: Cur, kr_id: str, now: datetime, *, check_stale: bool) -> int:
        """Compare the KR's conditions at `now` with its flags; alert those that turned on."""
        cur.execute(
            "SELECT k.*, c.starts_on, c.ends_on FROM alert_key_results k "
            "LEFT JOIN alert_cycles c ON c.key = k.cycle_key WHERE k.id = %s", (kr_id,))
        names = [column.name for column in cur.description or []]
        row = cur.fetchone()
        if row is None:
            return 0
        kr = dict(zip(names, row, strict=True))
        if kr["closed"]:
            return 0
        progress = kr_progress(kr["start"], kr["target"], kr["current"])
        expected = pace(kr["starts_on"], kr["ends_on"], now) if kr["starts_on"] else 0.0
        now_state = {
            "at_risk": kr["confidence"] is not None and kr["confidence"] < AT_RISK_CONFIDENCE,
            "lagging": is_lagging(progress, expected),
            "stale": is_stale(kr["last_activity_at"], now) if check_stale else kr["stale"],
        }
        detail = {"progress": round(progress, 4), "expected": round(expected, 4),
                  "confidence": kr["confidence"], "last_activity_at":
                  kr["last_activity_at"].isoformat()}
        raised = 0
        for kind, holds in now_state.items():
            if holds and not kr[kind]:
                self._raise(cur, kind, kr, now, detail)
                raised += 1
        cur.execute("UPDATE alert_key_results SET at_risk = %s, lagging = %s, stale = %s "
                    "WHERE id = %s", (now_state["at_risk"], now_state["lagging"],
                                      now_state["stale"], kr_id))
        return raised

    def _raise(self, cur: Cur, kind: str, kr: dict[str, Any], now: datetime,
               detail: dict[str, Any]) -> None:
        cur.execute(
            "INSERT INTO alerts (kind, key_result_id, cycle_key, title, raised_at, detail) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (kind, kr["id"], kr["cycle_key"], kr["title"], now, Jsonb(detail)),
        )
        log.warning("alert %s: key result %s (%s) %s", kind, kr["id"], kr["title"], detail)

    # -- delivery (after commit) ---------------------------------------------------------
    def deliver(self, conn: psycopg.Connection[Any]) -> int:
        """POST undelivered alerts to the webhook; failures are logged and retried 5 times."""
        if not self.webhook_url:
            return 0
        sent = 0
        pending = conn.cursor(row_factory=dict_row).execute(
            "SELECT id, kind, key_result_id::text, cycle_key, title, raised_at, detail "
            "FROM alerts WHERE delivered_at IS NULL AND delivery_attempts < %s ORDER BY id",
            (MAX_DELIVERY_ATTEMPTS,)).fetchall()
        for alert in pending:
            error = self._post({**alert, "raised_at": alert["raised_at"].isoformat()})
            if error is None:
                sent += 1
                conn.execute("UPDATE alerts SET delivered_at = now(), delivery_error = NULL "
                             "WHERE id = %s", (alert["id"],))
            else:
                conn.execute("UPDATE alerts SET delivery_error = %s, delivery_attempts = "
                             "delivery_attempts + 1 WHERE id = %s", (error, alert["id"]))
        return sent

    def _post(self, alert: dict[str, Any]) -> str | None:
        assert self.webhook_url is not None
        request = urllib.request.Request(  # noqa: S310 - the operator configures the URL
            self.webhook_url, data=json.dumps(alert).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.webhook_timeout) as answer:  # noqa: S310
                answer.read()
            return None
        except (urllib.error.URLError, OSError, ValueError) as error:
            log.warning("webhook %s refused alert %s: %s", self.webhook_url, alert["id"], error)
            return str(error)[:1000]
