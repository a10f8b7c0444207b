"""The envelope's fields are defined once (eventstore.envelope); every edge carries exactly them."""

from __future__ import annotations

from dataclasses import fields

from api.schemas import EventEnvelope
from consumers.cloudevents import HEADER_FIELDS
from consumers.events import ConsumedEvent
from eventstore.envelope import ENVELOPE_FIELDS

# Not in a header: the record's key (aggregate_id), its value (data), and the aggregate type,
# which is part of the event type.
OUTSIDE_HEADERS = {"aggregate_type", "aggregate_id", "data"}


def test_the_http_schema_has_exactly_the_envelope_fields_in_order() -> None:
    assert tuple(EventEnvelope.model_fields) == ENVELOPE_FIELDS


def test_a_consumed_event_has_the_envelope_fields_then_where_it_came_from() -> None:
    names = tuple(field.name for field in fields(ConsumedEvent))
    assert names == (*ENVELOPE_FIELDS, "topic", "partition", "offset")


def test_cloudevent_headers_carry_every_envelope_field_but_key_value_and_aggregate_type() -> None:
    in_headers = [field for _, field in HEADER_FIELDS]
    assert len(in_headers) == len(set(in_headers))
    assert set(in_headers) | OUTSIDE_HEADERS == set(ENVELOPE_FIELDS)
