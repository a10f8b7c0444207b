"""The canonical bytes of a stored event, as the integrity chain hashes them (contract 7).

RFC 8785 (JSON Canonicalization Scheme) of the object `{id, type,
subject, time, aggregate_type, aggregate_id, aggregate_version, actor, schema_version,
data}`, built from the stored row alone: `type` and `schema_version` as stored, `data` the
payload as stored (before any upcasting) in the form the envelope shows it, numbers as
IEEE-754 doubles, `time` the recorded time in UTC with six fractional digits.

`canonical_json` writes RFC 8785: orjson where its bytes are provably the canonical ones,
the `rfc8785` library for everything else. It is the one canonicaliser of the chain: the
sealer, `okr verify`, export and import all hash through `canonical_bytes`.

`canonical_bytes` never raises: a stored event that cannot be read as an event of ours (a
state that is not JSON, an unknown topic, a number JSON cannot hold) is hashed by its raw
stored form instead (`unreadable`), so no row can ever stall the chain.
"""

from __future__ import annotations

import base64
import functools
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
    """A stored event that the canonical rule cannot read."""


def utc_time(value: str) -> str:
    """An ISO 8601 time with an offset as `YYYY-MM-DDTHH:MM:SS.ffffffZ`."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise Unreadable(f"time without offset: {value}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _uuid(data: str) -> str:
    return str(UUID(hex=data))


def _datetime(data: str) -> str:
    return datetime.fromisoformat(data).isoformat()


def _date(data: str) -> str:
    return date.fromisoformat(data).isoformat()


# The library's JSON transcodings of our values, and the envelope's form of each.
TRANSCODED = {"uuid_hex": _uuid, "datetime_iso": _datetime, "date_iso": _date}


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
    """The domain event class a stored topic names (also a topic it had before a move).

    Only our domain's event classes: a topic naming anything else is not imported."""
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


# What reading a row may raise: anything else is a bug of ours and stops the sealer loudly.
UNREADABLE = (ValueError, KeyError, TypeError, OverflowError, TopicError, AttributeError)


def canonical_bytes(row: StoredRow, hashed: dict[str, Any] | None = None) -> bytes:
    """RFC 8785 bytes of the row's canonical object (`hashed`, when the caller built it
    already with `canonical_object`), or of its raw stored form."""
    try:
        return canonical_json(hashed if hashed is not None else canonical_object(row))
    except UNREADABLE:
        return unreadable(row)


class _Unusual(Exception):
    """A value orjson might not write as RFC 8785 does: the library writes it instead."""


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes of a JSON value, equal to `rfc8785.dumps(value)` (and raising what it
    raises). Most values go through orjson with sorted keys, about twice as fast, where its
    output is provably the canonical one (`_orjson_safe`); any other value goes to the
    `rfc8785` library. tests/unit/test_canonical.py holds the two equal."""
    try:
        return orjson.dumps(_orjson_safe(value), option=orjson.OPT_SORT_KEYS)
    except (_Unusual, orjson.JSONEncodeError):
        return rfc8785.dumps(value)


# Where orjson and RFC 8785 (ECMAScript's Number::toString) write a double alike: both write
# the shortest digits that round-trip, in plain decimal notation from 1e-5 (orjson; ECMAScript
# from 1e-6) up to every non-integral double (< 2**52). Integral doubles become integers,
# which both write as their digits up to 2**53 (beyond, ECMAScript pads zeros, orjson uses an
# exponent). Smaller magnitudes, and integers beyond 2**53 (which RFC 8785 refuses), go to
# the library.
_SAFE_INTEGER = 2**53
_SMALLEST_PLAIN = 1e-5


def _orjson_safe(value: Any) -> Any:
    """`value` with integral doubles as integers; `_Unusual` where orjson's bytes could
    differ from RFC 8785's: a non-ASCII key (RFC 8785 orders keys by UTF-16 code units), a
    double of another notation, an unsafe integer, a type JSON has not."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is float:
        if value.is_integer():
            if abs(value) <= _SAFE_INTEGER:
                return int(value)  # 2.0 -> 2, -0.0 -> 0, as ECMAScript writes them
            raise _Unusual
        if _SMALLEST_PLAIN <= abs(value) < _SAFE_INTEGER:  # NaN and infinities fail this
            return value
        raise _Unusual
    if kind is int:
        if abs(value) < _SAFE_INTEGER:
            return value
        raise _Unusual
    if kind is dict:
        for key in value:
            if type(key) is not str or not key.isascii():
                raise _Unusual
        return {key: _orjson_safe(item) for key, item in value.items()}
    if kind is list:
        return [_orjson_safe(item) for item in value]
    raise _Unusual


def unreadable(row: StoredRow) -> bytes:
    """The canonical bytes of a row that is not readable as an event: its stored columns,
    all as strings (RFC 8785 cannot refuse them)."""
    return canonical_json({"unreadable": {
        "originator_id": str(row.originator_id),
        "originator_version": str(row.originator_version),
        "topic": row.topic,
        "state": base64.b64encode(bytes(row.state)).decode(),
    }})
