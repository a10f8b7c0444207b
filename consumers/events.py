"""Typed events for consumers: one pydantic model per event type, derived from the domain.

The models are built from the annotations of the domain's event classes, so a new event or
field appears here (and in docs/schemas/) without hand-written code. Older schema versions
of a type (`okr.key_result.checked_in.v1`) have models too (their fields: those a class's
`fields_since` dates to them); a record of an older version is decoded with its data upcast
by the domain's upcasters and typed by the current model, so handlers see one shape. Unknown
types decode to `GenericEventData`, which keeps every field.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from domain.base import EventClass
from domain.event_types import (
    event_classes,
    event_type_of,
    fields_of_version,
    schema_versions,
    stored_event_type,
    upcast,
)
from eventstore.envelope import Envelope

_METADATA = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "originator_id_type"}
)


class EventData(BaseModel):
    """The payload of an event (`data`); extra fields from newer producers are kept."""

    model_config = ConfigDict(extra="allow", frozen=True)


class GenericEventData(EventData):
    """The payload of an event type this consumer does not know."""


class InvalidEventData(ValueError):
    """A payload that does not match the model of its type."""


def payload_fields(event_class: EventClass) -> dict[str, Any]:
    """Field name -> type of the payload, from the event class's annotations."""
    hints = typing.get_type_hints(event_class)
    return {name: hint for name, hint in hints.items()
            if name not in _METADATA and typing.get_origin(hint) is not ClassVar}


def _allows_none(hint: Any) -> bool:
    return hint is type(None) or type(None) in typing.get_args(hint)


def _model_name(event_type: str) -> str:
    _, aggregate, name, version = event_type.split(".")
    camel = "".join(part.title() for part in f"{aggregate}_{name}".split("_"))
    return f"{camel}{version.upper()}"


@cache
def versions() -> dict[str, tuple[EventClass, int]]:
    """Every public type, older schema versions included -> its event class and version."""
    return {stored_event_type(event_class, version): (event_class, version)
            for event_class in event_classes() for version in schema_versions(event_class)}


@cache
def models() -> dict[str, type[EventData]]:
    """Event type (every version) -> its pydantic model."""
    built: dict[str, type[EventData]] = {}
    for event_type, (event_class, version) in versions().items():
        fields: dict[str, Any] = {
            # Optional fields may be missing from records of older producers.
            name: (hint, None if _allows_none(hint) else ...)
            for name, hint in fields_of_version(
                event_class, payload_fields(event_class), version).items()
        }
        model = create_model(_model_name(event_type), __base__=EventData, **fields)
        model.__doc__ = f"Payload (`data`) of `{event_type}`."
        built[event_type] = model
    return built


def model_for(event_type: str) -> type[EventData]:
    return models().get(event_type, GenericEventData)


@dataclass(frozen=True)
class ConsumedEvent:
    """One event as a consumer sees it: the envelope's fields (`time` as a datetime, typed
    `data`), then where it came from."""

    id: str
    type: str
    source: str
    subject: str
    time: datetime
    position: int
    aggregate_type: str
    aggregate_id: str
    aggregate_version: int
    actor: str
    data: EventData
    topic: str = ""
    partition: int = -1
    offset: int = -1

    @property
    def known(self) -> bool:
        return not isinstance(self.data, GenericEventData)


def decode(envelope: Envelope, topic: str = "", partition: int = -1,
           offset: int = -1) -> ConsumedEvent:
    """Type the envelope's data (upcast to the current version of its type); raises
    InvalidEventData when it does not fit its model."""
    event_type, payload = envelope.type, envelope.data
    known = versions().get(event_type)
    if known is not None and event_type != event_type_of(known[0]):
        event_type, payload = event_type_of(known[0]), upcast(known[0], known[1], dict(payload))
    try:
        data = model_for(event_type).model_validate(payload)
        time = datetime.fromisoformat(envelope.time)
    except (ValidationError, ValueError) as error:
        raise InvalidEventData(f"{envelope.type} {envelope.id}: {error}") from error
    return ConsumedEvent(**{**envelope.as_dict(), "time": time, "data": data}, topic=topic,
                         partition=partition, offset=offset)
