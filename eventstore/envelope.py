"""The public event envelope (contract section 4), shared by the HTTP feed, SSE and Kafka."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from hashlib import sha1
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.event_types import aggregate_type_of, event_type_of

SOURCE = "urn:okr-ledger"
EVENT_ID_NAMESPACE = uuid5(NAMESPACE_URL, "https://okr-ledger/events")
# Fields of a stored event that are not its data (they go to the envelope, or nowhere).
EVENT_METADATA = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic"}
)


def event_id(aggregate_id: UUID | str, version: int) -> str:
    """Unique per event and the same on every redelivery: the UUID version 5 of
    `<aggregate id>/<version>` in EVENT_ID_NAMESPACE.

    Computed as `uuid.uuid5` does, without building UUID objects (a third of the relay's
    per-event encoding time went there)."""
    name = _NAMESPACE_BYTES + f"{aggregate_id}/{version}".encode()
    digest = bytearray(sha1(name, usedforsecurity=False).digest())
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest[:16].hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_NAMESPACE_BYTES = EVENT_ID_NAMESPACE.bytes


def plain(value: Any) -> Any:
    """JSON-ready form of an event field."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def event_fields(domain_event: Any) -> dict[str, Any]:
    """The event's own fields, values as recorded (UUIDs, datetimes...)."""
    return {k: v for k, v in vars(domain_event).items() if k not in EVENT_METADATA}


def event_data(domain_event: Any) -> dict[str, Any]:
    return {k: plain(v) for k, v in event_fields(domain_event).items()}


@dataclass(frozen=True)
class Envelope:
    """The contract's envelope, the one definition of its fields (ENVELOPE_FIELDS)."""

    id: str
    type: str
    source: str
    subject: str
    time: str
    position: int
    aggregate_type: str
    aggregate_id: str
    aggregate_version: int
    actor: str
    data: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


# In order. The edges that spell them out again (api.schemas.EventEnvelope, consumers.events.
# ConsumedEvent) are checked against these in tests/unit/test_envelope_fields.py.
ENVELOPE_FIELDS: tuple[str, ...] = tuple(field.name for field in fields(Envelope))


def envelope_of(domain_event: Any, position: int) -> Envelope:
    aggregate_id = str(domain_event.originator_id)
    data = event_data(domain_event)
    return Envelope(
        id=event_id(aggregate_id, domain_event.originator_version),
        type=event_type_of(domain_event),
        source=SOURCE,
        subject=aggregate_id,
        time=domain_event.timestamp.isoformat(),
        position=position,
        aggregate_type=aggregate_type_of(domain_event),
        aggregate_id=aggregate_id,
        aggregate_version=domain_event.originator_version,
        actor=str(data.get("actor", "")),
        data=data,
    )
