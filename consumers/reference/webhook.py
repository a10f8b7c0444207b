"""Delivery of stored alerts to a webhook, after the database commit (an outbox).

Each undelivered row of `alerts` is POSTed as JSON; a failure is logged, kept in
`alerts.delivery_error`, and retried at the next deliveries, MAX_DELIVERY_ATTEMPTS in all.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any

import psycopg
from psycopg.rows import dict_row

log = logging.getLogger(__name__)
MAX_DELIVERY_ATTEMPTS = 5
PENDING = ("SELECT id, kind, key_result_id::text, cycle_key, title, raised_at, detail "
           "FROM alerts WHERE delivered_at IS NULL AND delivery_attempts < %s ORDER BY id")


class Webhook:
    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout

    def deliver(self, conn: psycopg.Connection[Any]) -> int:
        """POST the undelivered alerts; returns how many the webhook accepted."""
        sent = 0
        pending = conn.cursor(row_factory=dict_row).execute(
            PENDING, (MAX_DELIVERY_ATTEMPTS,)).fetchall()
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
        request = urllib.request.Request(  # noqa: S310 - the operator configures the URL
            self.url, data=json.dumps(alert).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                answer.read()
            return None
        except (urllib.error.URLError, OSError, ValueError) as error:
            log.warning("webhook %s refused alert %s: %s", self.url, alert["id"], error)
            return str(error)[:1000]
