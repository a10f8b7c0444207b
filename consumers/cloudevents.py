"""The CloudEvents 1.0 Kafka binding, binary mode (contract section 4), both directions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.utils import resolve_topic

from domain.event_types import event_type_of
from eventstore.envelope import EVENT_METADATA, SOURCE, Envelope, event_fields, event_id

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
# header name -> envelope field; values are UTF-8 text (numbers in decimal).
HEADER_FIELDS: tuple[tuple[str, str], ...] = (
    ("ce_id", "id"),
    ("ce_source", "source"),
    ("ce_type", "type"),
    ("ce_time", "time"),
    ("ce_subject", "subject"),
    ("ce_position", "position"),
    ("ce_aggregateversion", "aggregate_version"),
    ("ce_actor", "actor"),
)
INT_FIELDS = frozenset({"position", "aggregate_version"})
# The event's hash in the integrity chain (contract section 7), lowercase hex: an extension
# attribute, not an envelope field.
CHAIN_HASH = "ce_chainhash"

Headers = list[tuple[str, bytes]]


class InvalidCloudEvent(ValueError):
    """A Kafka record that is not a CloudEvent of okr-ledger."""


@dataclass(frozen=True)
class KafkaRecord:
    key: bytes
    value: bytes
    headers: Headers


def to_record(envelope: Envelope, chain_hash: bytes | None = None) -> KafkaRecord:
    """Key = aggregate id, `ce_*` headers (`ce_chainhash` when the hash is given), value =
    `data` as JSON."""
    fields = envelope.as_dict()
    headers: Headers = [("ce_specversion", SPECVERSION.encode())]
    headers += [(name, str(fields[field]).encode()) for name, field in HEADER_FIELDS]
    if chain_hash is not None:
        headers.append((CHAIN_HASH, chain_hash.hex().encode()))
    headers.append(("content-type", CONTENT_TYPE.encode()))
    return KafkaRecord(
        key=envelope.aggregate_id.encode(), value=orjson.dumps(envelope.data), headers=headers
    )


_SPECVERSION = ("ce_specversion", SPECVERSION.encode())
_SOURCE = ("ce_source", SOURCE.encode())
_CONTENT_TYPE = ("content-type", CONTENT_TYPE.encode())


def record_of(domain_event: Any, position: int, chain_hash: bytes | None = None) -> KafkaRecord:
    """`to_record(envelope_of(domain_event, position), chain_hash)`, byte for byte, without
    building the envelope: the relay's per-event path. orjson writes UUIDs, datetimes and
    dates as `plain()` does, so the fields go to it as they are."""
    return _record(
        str(domain_event.originator_id), domain_event.originator_version, position,
        event_type_of(domain_event), domain_event.timestamp.isoformat(),
        event_fields(domain_event), chain_hash,
    )


def _record(
    aggregate_id: str, version: int, position: int, event_type: str, time: str,
    data: dict[str, Any], chain_hash: bytes | None,
) -> KafkaRecord:
    key = aggregate_id.encode()
    headers = [
        _SPECVERSION,
        ("ce_id", event_id(aggregate_id, version).encode()),
        _SOURCE,
        ("ce_type", event_type.encode()),
        ("ce_time", time.encode()),
        ("ce_subject", key),
        ("ce_position", str(position).encode()),
        ("ce_aggregateversion", str(version).encode()),
        ("ce_actor", str(data.get("actor", "")).encode()),
    ]
    if chain_hash is not None:
        headers.append((CHAIN_HASH, chain_hash.hex().encode()))
    headers.append(_CONTENT_TYPE)
    return KafkaRecord(key=key, value=orjson.dumps(data), headers=headers)


class NotPlain(ValueError):
    """A stored value the fast path does not know: decode the event instead."""


# The library's JSON transcodings of our event fields, and their plain() forms.
_STORED_AS: dict[str, Callable[[str], str]] = {
    "uuid_hex": lambda data: str(UUID(hex=data)),
    "datetime_iso": lambda data: data,
    "date_iso": lambda data: data,
}


def _plain_stored(value: Any) -> Any:
    if isinstance(value, dict):
        if "_type_" in value and "_data_" in value and len(value) == 2:
            try:
                return _STORED_AS[value["_type_"]](value["_data_"])
            except KeyError:
                raise NotPlain(value["_type_"]) from None
        return {k: _plain_stored(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_stored(v) for v in value]
    return value


def record_of_stored(notification: Any, chain_hash: bytes | None = None) -> KafkaRecord | None:
    """`record_of` straight from a stored event's JSON, without decoding the domain event;
    None when the state holds something this path does not know (a transcoding it does
    not map, or an older schema version that decoding upcasts)."""
    cls = resolve_topic(notification.topic)  # cached by the library
    state = orjson.loads(notification.state)
    if state.pop("class_version", 1) != getattr(cls, "class_version", 1):
        return None
    try:
        data = {k: _plain_stored(v) for k, v in state.items() if k not in EVENT_METADATA}
    except NotPlain:
        return None
    return _record(
        str(notification.originator_id), notification.originator_version, notification.id,
        event_type_of(cls), state["timestamp"]["_data_"], data, chain_hash,
    )


def aggregate_type_of_type(event_type: str) -> str:
    """`okr.key_result.checked_in.v1` -> `key_result`."""
    parts = event_type.split(".")
    return parts[1] if len(parts) >= 4 else ""


def from_record(headers: Sequence[tuple[str, bytes | None]], value: bytes | None) -> Envelope:
    """The contract envelope carried by a record; raises InvalidCloudEvent."""
    given = {name: (raw or b"").decode("utf-8", "replace") for name, raw in headers}
    if given.get("ce_specversion") != SPECVERSION:
        raise InvalidCloudEvent(f"ce_specversion is {given.get('ce_specversion')!r}, not 1.0")
    missing = [name for name, _ in HEADER_FIELDS if name not in given]
    if missing:
        raise InvalidCloudEvent(f"missing headers: {', '.join(missing)}")
    fields: dict[str, Any] = {}
    for name, field in HEADER_FIELDS:
        text = given[name]
        try:
            fields[field] = int(text) if field in INT_FIELDS else text
        except ValueError:
            raise InvalidCloudEvent(f"{name} is not an integer: {text!r}") from None
    try:
        data = orjson.loads(value or b"")
    except orjson.JSONDecodeError as error:
        raise InvalidCloudEvent(f"value is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise InvalidCloudEvent("value is not a JSON object")
    return Envelope(
        aggregate_type=aggregate_type_of_type(fields["type"]),
        aggregate_id=fields["subject"],
        data=data,
        **fields,
    )
