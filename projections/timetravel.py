"""As-of (transaction time) and valid-at (check-in time) reads of objectives and KRs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from domain.progress import kr_progress, weighted_mean
from domain.values import EARLIEST, LAST_INSTANT
from projections.alignment import ALIGNMENT

Conn = psycopg.Connection[Any]
Rows = list[dict[str, Any]]

S = ALIGNMENT.schema
APPLICABLE_CHECK_IN = f"""
    LEFT JOIN LATERAL (
        SELECT c.value, c.confidence FROM {S}.check_ins c
        WHERE c.kr_id = k.id AND c.recorded_at <= %(t)s AND c.effective_at <= %(v)s
        ORDER BY c.effective_at DESC, c.recorded_at DESC, c.version DESC LIMIT 1
    ) ci ON true"""
VISIBLE = "recorded_from <= %(t)s AND recorded_to > %(t)s"
# `recorded_to` is often 'infinity', which Python datetimes cannot hold: never selected.
OBJECTIVE_FIELDS = (
    "id, version, cycle, title, description, owner_type, owner_id, parent_id, status, score, "
    "carried_from, closed, reason, recorded_from"
)
OBJECTIVES = f"SELECT {OBJECTIVE_FIELDS} FROM {S}.objective_versions"
# Ids come back as text: thousands of UUID objects per tree cost more than the query.
KR_FIELDS = ", ".join(
    f"k.{c}::text AS {c}" if c.endswith("id") else f"k.{c}" for c in (
        "id", "version", "objective_id", "cycle", "title", "kind", "start", "target", "unit",
        "weight", "owner_type", "owner_id", "score", "closed", "reason", "recorded_from",
    )
)


@dataclass(frozen=True)
class ReadTime:
    """When a read looks: transaction time T (`as_of`, else now) and valid time V (`valid_at`,
    else T), contract section 2."""

    t: datetime
    v: datetime
    as_of: datetime | None

    @classmethod
    def of(cls, as_of: datetime | None, valid_at: datetime | None) -> ReadTime:
        now = datetime.now(tz=UTC)
        t = as_of or now
        return cls(t=t, v=valid_at or t, as_of=as_of)

    def params(self, **extra: Any) -> dict[str, Any]:
        return {"t": self.t, "v": self.v, **extra}


def owner_of(row: dict[str, Any]) -> dict[str, str] | None:
    if row["owner_type"] is None:
        return None
    return {"type": row["owner_type"], "id": str(row["owner_id"])}


def kr_view(row: dict[str, Any]) -> dict[str, Any]:
    current = row["value"]
    return {
        "id": str(row["id"]), "version": row["version"], "objective_id": str(row["objective_id"]),
        "title": row["title"], "kind": row["kind"], "start": row["start"],
        "target": row["target"], "unit": row["unit"], "weight": row["weight"],
        "owner": owner_of(row), "current": current, "confidence": row["confidence"],
        "progress": kr_progress(row["start"], row["target"], current), "score": row["score"],
    }


def objective_progress(krs: list[dict[str, Any]]) -> float:
    return weighted_mean((kr["progress"], kr["weight"]) for kr in krs)


# A KR's version as of T counts its check-ins too, which add no revision rows. The last
# check-in recorded by T is one probe of (kr_id, recorded_at, version), whatever the history.
VERSION_AS_OF = f"""GREATEST(k.version, (SELECT x.version FROM {S}.check_ins x
                   WHERE x.kr_id = k.id AND x.recorded_at <= %(t)s
                   ORDER BY x.recorded_at DESC, x.version DESC LIMIT 1))"""


def _krs(conn: Conn, where: str, params: dict[str, Any], *, exact_version: bool = True) -> Rows:
    version = VERSION_AS_OF if exact_version else "k.version"
    statement = f"""
        SELECT {KR_FIELDS}, ci.value, ci.confidence, {version} AS version_as_of
        FROM {S}.kr_versions k {APPLICABLE_CHECK_IN}
        WHERE {where} AND k.{VISIBLE} ORDER BY k.title, k.id"""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(statement.encode(), params).fetchall()
    return [kr_view({**row, "version": row["version_as_of"]}) for row in rows]


def cycle_key_results(conn: Conn, cycle: str, at: ReadTime) -> Rows:
    """All KRs of a cycle as of T, valid at V (versions are revision versions)."""
    return _krs(conn, "k.cycle = %(cycle)s", at.params(cycle=cycle), exact_version=False)


def cycle_objectives(conn: Conn, cycle: str, at: ReadTime) -> Rows:
    statement = f"{OBJECTIVES} WHERE cycle = %(cycle)s AND {VISIBLE}"
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(statement.encode(), at.params(cycle=cycle)).fetchall()


def objective_view(row: dict[str, Any], krs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": str(row["id"]), "version": row["version"], "cycle": row["cycle"],
        "title": row["title"], "description": row["description"], "owner": owner_of(row),
        "parent_id": None if row["parent_id"] is None else str(row["parent_id"]),
        "status": row["status"], "progress": objective_progress(krs), "score": row["score"],
        "carried_from": None if row["carried_from"] is None else str(row["carried_from"]),
        "key_results": krs,
    }


def objective_detail(
    conn: psycopg.Connection[Any], objective_id: UUID | str, as_of: datetime | None = None,
    valid_at: datetime | None = None,
) -> dict[str, Any] | None:
    at = ReadTime.of(as_of, valid_at)
    statement = f"{OBJECTIVES} WHERE id = %(id)s AND {VISIBLE}"
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(statement.encode(), at.params(id=str(objective_id))).fetchone()
    if row is None:
        return None
    return objective_view(row, _krs(conn, "k.objective_id = %(id)s", at.params(id=row["id"])))


def key_result_detail(
    conn: psycopg.Connection[Any], kr_id: UUID | str, as_of: datetime | None = None,
    valid_at: datetime | None = None,
) -> dict[str, Any] | None:
    at = ReadTime.of(as_of, valid_at)
    krs = _krs(conn, "k.id = %(id)s", at.params(id=str(kr_id)))
    return krs[0] if krs else None


def check_ins(
    conn: psycopg.Connection[Any], kr_id: UUID | str, as_of: datetime | None = None
) -> list[dict[str, Any]] | None:
    at = ReadTime.of(as_of, None)
    if key_result_detail(conn, kr_id, at.t) is None:
        return None
    # An effective_at stored before the range was enforced is shown at the range's nearest
    # end (Python cannot even hold some of them); it still orders and applies as stored.
    statement = f"""SELECT value, confidence, note,
        GREATEST(LEAST(effective_at, %(last)s), %(first)s) AS effective_at, recorded_at, actor
        FROM {S}.check_ins WHERE kr_id = %(id)s AND recorded_at <= %(t)s
        ORDER BY {S}.check_ins.effective_at, recorded_at, version"""
    params = at.params(id=str(kr_id), first=EARLIEST, last=LAST_INSTANT)
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(statement.encode(), params).fetchall()
    return [
        {**row, "effective_at": row["effective_at"].isoformat(),
         "recorded_at": row["recorded_at"].isoformat()}
        for row in rows
    ]
