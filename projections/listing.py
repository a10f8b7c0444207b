"""Directory and audit-trail reads."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from domain.errors import InvalidInput
from projections.audit import AUDIT
from projections.audit import loads as audit_json
from projections.directory import DIRECTORY

Conn = psycopg.Connection[Any]
MAX_AUDIT_PAGE = 500
AUDIT_FILTERS = (
    ("entity_id", "entity_id = %(entity_id)s"),
    ("actor", "actor = %(actor)s"),
    ("since", "recorded_at >= %(since)s"),
    ("until", "recorded_at <= %(until)s"),
)


def _rows(conn: Conn, statement: str, params: Any = None) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(statement.encode(), params).fetchall()


def _text(row: dict[str, Any]) -> dict[str, Any]:
    """Ids and times as JSON strings."""
    return {
        k: (str(v) if isinstance(v, UUID) else v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in row.items()
    }


def teams(conn: Conn) -> list[dict[str, Any]]:
    return [_text(r) for r in _rows(
        conn, f"SELECT id, name, parent_id FROM {DIRECTORY.schema}.teams ORDER BY name, id")]


def people(conn: Conn) -> list[dict[str, Any]]:
    return [_text(r) for r in _rows(
        conn, f"SELECT id, name, email, team_id FROM {DIRECTORY.schema}.people "
              "ORDER BY name, id")]


def cycles(conn: Conn) -> list[dict[str, Any]]:
    return [_text(r) for r in _rows(
        conn, f"SELECT key, starts_on, ends_on, status FROM {DIRECTORY.schema}.cycles "
              "ORDER BY starts_on, key")]


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"p{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("p"):
            raise ValueError(cursor)
        return int(text[1:])
    except ValueError:
        raise InvalidInput("cursor is not one this API gave out", field="cursor") from None


def _entity_uuid(entity_id: UUID | str) -> UUID:
    try:
        return entity_id if isinstance(entity_id, UUID) else UUID(entity_id)
    except ValueError:
        raise InvalidInput("entity_id must be a UUID", field="entity_id") from None


def audit(
    conn: Conn, *, entity_id: UUID | str | None = None, actor: str | None = None,
    since: datetime | None = None, until: datetime | None = None, limit: int = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Entries ordered by position, filtered, a page at a time."""
    limit = max(1, min(limit, MAX_AUDIT_PAGE))
    clauses, params = ["position > %(after)s"], {
        "after": decode_cursor(cursor) if cursor else 0, "limit": limit + 1,
        "entity_id": _entity_uuid(entity_id) if entity_id else None, "actor": actor,
        "since": since, "until": until,
    }
    clauses += [clause for name, clause in AUDIT_FILTERS if params[name] is not None]
    rows = _rows(conn, "SELECT position, recorded_at, actor, entity_type, entity_id, event_type, "
                       f"changes::text, reason FROM {AUDIT.schema}.entries "
                       f"WHERE {' AND '.join(clauses)} "
                       "ORDER BY position LIMIT %(limit)s", params)
    page = [{**_text(r), "changes": audit_json(r["changes"])} for r in rows[:limit]]
    more = len(rows) > limit
    return {"items": page, "next_cursor": encode_cursor(rows[limit - 1]["position"]) if more
            else None}
