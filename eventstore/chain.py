"""The integrity chain's rule (contract section 7), as export and import need it.

`hash(n) = SHA-256(hash(n-1) || canonical bytes of event n)`, `hash(0)` = 32 zero bytes. The
canonical bytes are RFC 8785 JSON of `{id, type, subject, time, aggregate_type, aggregate_id,
aggregate_version, actor, schema_version, data}` built from the stored row alone: `type` and
`schema_version` as stored, `data` the payload as stored (before any upcasting) in the
envelope's form, numbers as doubles, `time` in UTC with six fractional digits.

This is the one place export and import take chain hashes from (`link`): the sealer of
issue 13 computes the same rule, and once it is on main this module gives way to its
(`eventstore.canonical`, `eventstore.seals.link`), and export reads hashes from its seals.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import math
from datetime import UTC, date, datetime
from typing import Any, Protocol
from uuid import UUID

import orjson
import rfc8785
from eventsourcing.utils import TopicError, get_topic, resolve_topic

from domain.event_types import aggregate_type_of, event_classes, stored_event_type
from eventstore.envelope import EVENT_METADATA, event_id

GENESIS = bytes(32)  # hash(0)
NOT_DATA = EVENT_METADATA | {"class_version"}


class StoredRow(Protocol):
    """What the chain reads of a stored event (an eventsourcing `Notification`)."""

    @property
    def originator_id(self) -> UUID | str: ...

    @property
    def originator_version(self) -> int: ...

    @property
    def topic(self) -> str: ...

    @property
    def state(self) -> bytes: ...


class Unreadable(ValueError):
    """A stored event that the canonical rule cannot read as an event of ours."""


def utc_time(value: str) -> str:
    """An ISO 8601 time with an offset as `YYYY-MM-DDTHH:MM:SS.ffffffZ`."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise Unreadable(f"time without offset: {value}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# The library's JSON transcodings of our values, and the envelope's form of each.
TRANSCODED = {
    "uuid_hex": lambda data: str(UUID(hex=data)),
    "datetime_iso": lambda data: datetime.fromisoformat(data).isoformat(),
    "date_iso": lambda data: date.fromisoformat(data).isoformat(),
}


def as_data(value: Any) -> Any:
    """A stored JSON value in the envelope's form, numbers as doubles."""
    if isinstance(value, dict):
        if len(value) == 2 and "_type_" in value and "_data_" in value:
            decode = TRANSCODED.get(value["_type_"])
            if decode is None:
                raise Unreadable(f"unknown stored type {value['_type_']!r}")
            return decode(value["_data_"])
        return {key: as_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_data(item) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        number = float(value)  # OverflowError beyond the doubles
        if not math.isfinite(number):
            raise Unreadable(f"not a finite number: {value}")
        return number
    raise Unreadable(f"not a JSON value: {type(value).__name__}")


@functools.cache
def event_class(topic: str) -> type:
    """The domain event class a stored topic names (also a topic it had before a move);
    only our domain's event classes: a topic naming anything else is not imported."""
    classes = frozenset(event_classes())
    cls = {get_topic(c): c for c in classes}.get(topic)
    if cls is None and topic.startswith("domain."):
        cls = resolve_topic(topic)
    if cls not in classes:
        raise Unreadable(f"not an event class of the domain: {topic!r}")
    return cls


def canonical_object(row: StoredRow) -> dict[str, Any]:
    """The hashed object of a stored event; raises when the row is not readable as one."""
    cls = event_class(row.topic)
    state = orjson.loads(row.state)
    if not isinstance(state, dict):
        raise Unreadable("the state is not a JSON object")
    schema_version = state.get("class_version", 1)
    if isinstance(schema_version, bool) or not isinstance(schema_version, int):
        raise Unreadable(f"class_version is not an integer: {schema_version!r}")
    data = {key: as_data(value) for key, value in state.items() if key not in NOT_DATA}
    aggregate_id = str(row.originator_id)
    return {
        "id": event_id(aggregate_id, row.originator_version),
        "type": stored_event_type(cls, schema_version),
        "subject": aggregate_id,
        "time": utc_time(state["timestamp"]["_data_"]),
        "aggregate_type": aggregate_type_of(cls),
        "aggregate_id": aggregate_id,
        "aggregate_version": row.originator_version,
        "actor": str(data.get("actor", "")),
        "schema_version": schema_version,
        "data": data,
    }


# What reading a row may raise: anything else is a bug of ours.
UNREADABLE = (ValueError, KeyError, TypeError, OverflowError, TopicError, AttributeError)


def canonical_bytes(row: StoredRow, canonical: dict[str, Any] | None = None) -> bytes:
    """RFC 8785 bytes of the row's canonical object (given, or read from the row), or of
    its raw stored form when it is not readable as an event."""
    try:
        return jcs(canonical if canonical is not None else canonical_object(row))
    except UNREADABLE:
        return rfc8785.dumps({"unreadable": {
            "originator_id": str(row.originator_id),
            "originator_version": str(row.originator_version),
            "topic": row.topic,
            "state": base64.b64encode(bytes(row.state)).decode(),
        }})


class _Unusual(Exception):
    """A value orjson would not write as RFC 8785 does."""


def jcs(value: Any) -> bytes:
    """RFC 8785 bytes of a JSON value: orjson with sorted keys where its output is the
    canonical one (ASCII keys; integral doubles written as integers, as ECMAScript does),
    else the `rfc8785` library (tests/unit/test_chain_canonical.py holds them equal)."""
    try:
        return orjson.dumps(_as_jcs(value), option=orjson.OPT_SORT_KEYS)
    except (_Unusual, orjson.JSONEncodeError):
        return rfc8785.dumps(value)


def _as_jcs(value: Any) -> Any:
    if isinstance(value, dict):
        for key in value:
            if not key.isascii():  # RFC 8785 orders keys by UTF-16 code units
                raise _Unusual
        return {key: _as_jcs(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_jcs(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        if abs(value) <= 2**53:
            return int(value)  # 2.0 -> 2, -0.0 -> 0
        if abs(value) < 1e21:
            raise _Unusual  # ECMAScript writes the shortest digits padded with zeros
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**53:
        raise _Unusual
    return value


def link(previous: bytes, row: StoredRow, canonical: dict[str, Any] | None = None) -> bytes:
    """The chain's next hash: SHA-256 of the previous hash and the row's canonical bytes."""
    return hashlib.sha256(previous + canonical_bytes(row, canonical)).digest()

