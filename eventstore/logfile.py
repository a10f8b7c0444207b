"""The exported log's lines (contract section 8): a header, then one line per stored event.

An event's line is the section-4 envelope of the event *as stored* (its stored `type` and
`schema_version`, `data` before any upcasting, in the envelope's JSON form: what the chain
hashes), its `chain_hash`, and `stored`: the stored record itself (`topic` and the `state`
text, exactly as the event store holds it). `stored` is what an import writes back, so the
restored rows are byte-identical; the envelope is what a reader of the file (or a verifier
of the chain, with nothing but RFC 8785 and SHA-256) needs. An import recomputes the envelope
from `stored` and refuses a line whose envelope differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson

from eventstore.envelope import ENVELOPE_FIELDS, SOURCE

FORMAT = "okr-ledger-log"
VERSION = 1
# The canonical object's fields, in the line's order (the envelope's, then schema_version).
HASHED = (*(f for f in ENVELOPE_FIELDS if f not in ("source", "position")), "schema_version")


@dataclass(frozen=True, slots=True)
class Row:
    """A stored event with its position: what export reads and import writes."""

    position: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


def header(first: int, last: int, head: bytes, exported_at: datetime | None = None) -> bytes:
    moment = exported_at or datetime.now(tz=UTC)
    return orjson.dumps({
        "format": FORMAT, "version": VERSION,
        "exported_at": moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "first_position": first, "last_position": last, "head_hash": head.hex(),
    }) + b"\n"


def event_line(row: Row, canonical: dict[str, Any], chain_hash: bytes) -> bytes:
    """The line of one stored event, given its canonical object and its chain hash."""
    line = {field: canonical[field] for field in ENVELOPE_FIELDS if field in canonical}
    line["source"] = SOURCE
    line["position"] = row.position
    ordered = {field: line[field] for field in ENVELOPE_FIELDS}
    ordered["schema_version"] = canonical["schema_version"]
    ordered["chain_hash"] = chain_hash.hex()
    ordered["stored"] = {"topic": row.topic, "state": row.state.decode()}
    return orjson.dumps(ordered) + b"\n"

