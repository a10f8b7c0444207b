"""The CloudEvents binding and typed decoding, without a broker."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID, uuid5

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consumers.cloudevents import (
    InvalidCloudEvent,
    from_record,
    record_of,
    record_of_stored,
    to_record,
)
from consumers.events import GenericEventData, InvalidEventData, decode, models
from consumers.publisher.leadership import lock_key
from consumers.publisher.relay import Backoff
from domain.application import OkrApplication
from eventstore.envelope import EVENT_ID_NAMESPACE, Envelope, envelope_of, event_id
from tests.support.scenario import build_org
from tests.support.world import record_every_kind_of_event


def envelopes(app: OkrApplication) -> list[Envelope]:
    build_org(app)
    notifications = app.recorder.select_notifications(start=1, limit=1000)
    return [envelope_of(app.mapper.to_domain_event(n), n.id) for n in notifications]


def test_a_record_carries_the_envelope_in_headers_key_and_value(
    memory_app: OkrApplication,
) -> None:
    for envelope in envelopes(memory_app):
        record = to_record(envelope)
        headers = dict(record.headers)
        assert record.key == envelope.aggregate_id.encode()
        assert headers["ce_specversion"] == b"1.0"
        assert headers["content-type"] == b"application/json"
        assert headers["ce_position"] == str(envelope.position).encode()
        assert json.loads(record.value) == envelope.data
        assert from_record(record.headers, record.value) == envelope


def test_the_relays_record_is_the_envelopes_record_byte_for_byte(
    memory_app: OkrApplication,
) -> None:
    record_every_kind_of_event(memory_app)
    notifications = memory_app.recorder.select_notifications(start=1, limit=1000)
    for n in notifications:
        event = memory_app.mapper.to_domain_event(n)
        expected = to_record(envelope_of(event, n.id))
        assert record_of(event, n.id) == expected
        assert record_of_stored(n) == expected
        chain_hash = bytes(range(32))
        sealed = to_record(envelope_of(event, n.id), chain_hash)
        assert record_of(event, n.id, chain_hash) == sealed == record_of_stored(n, chain_hash)
        assert sealed.headers == [*expected.headers[:-1], ("ce_chainhash", chain_hash.hex()
                                                           .encode()), expected.headers[-1]]


def test_stored_values_the_fast_path_does_not_know_are_left_to_decoding(
    memory_app: OkrApplication,
) -> None:
    build_org(memory_app)
    stored = memory_app.recorder.select_notifications(start=1, limit=1)[0]
    state = json.loads(stored.state)
    state["extra"] = {"_type_": "decimal_str", "_data_": "1.5"}
    assert record_of_stored(replace(stored, state=json.dumps(state).encode())) is None


@given(st.uuids(), st.integers(min_value=1, max_value=2**62))
def test_event_ids_are_uuid5_of_aggregate_and_version(aggregate_id: UUID, version: int) -> None:
    expected = uuid5(EVENT_ID_NAMESPACE, f"{aggregate_id}/{version}")
    assert event_id(aggregate_id, version) == event_id(str(aggregate_id), version) == str(expected)


def test_decoded_events_are_typed_by_their_domain_event_class(
    memory_app: OkrApplication,
) -> None:
    for envelope in envelopes(memory_app):
        event = decode(envelope)
        assert type(event.data) is models()[envelope.type] and event.known
        assert event.time.tzinfo is not None
    assert "okr.key_result.checked_in.v1" in models()
    assert set(models()["okr.key_result.checked_in.v1"].model_fields) == {
        "value", "confidence", "note", "effective_at", "actor"}


def test_unknown_types_decode_to_a_generic_model_that_keeps_every_field() -> None:
    envelope = Envelope(id="x", type="okr.thing.happened.v9", source="urn:okr-ledger",
                        subject="s", time=datetime.now(UTC).isoformat(), position=1,
                        aggregate_type="thing", aggregate_id="s", aggregate_version=1,
                        actor="admin", data={"anything": [1, 2]})
    event = decode(envelope)
    assert isinstance(event.data, GenericEventData) and not event.known
    assert event.data.model_dump() == {"anything": [1, 2]}


def test_records_that_are_not_okr_cloudevents_are_refused(memory_app: OkrApplication) -> None:
    record = to_record(envelopes(memory_app)[0])
    with pytest.raises(InvalidCloudEvent):
        from_record([("ce_specversion", b"1.0")], record.value)
    with pytest.raises(InvalidCloudEvent):
        from_record(record.headers, b"not json")
    bad_position = [(k, b"x" if k == "ce_position" else v) for k, v in record.headers]
    with pytest.raises(InvalidCloudEvent):
        from_record(bad_position, record.value)
    wrong_payload = from_record(record.headers, b'{"name": 5}')
    with pytest.raises(InvalidEventData):
        decode(wrong_payload)


def test_backoff_doubles_up_to_its_cap_and_resets() -> None:
    backoff = Backoff(0.5, 3.0)
    assert [backoff.next() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.reset()
    assert backoff.next() == 0.5


def test_the_publisher_lock_key_is_stable_and_per_topic() -> None:
    assert lock_key("okr-relay:a") == lock_key("okr-relay:a") != lock_key("okr-relay:b")
    assert -(2**63) <= lock_key("okr-relay:a") < 2**63


def test_optional_fields_missing_from_older_records_decode_as_none(
    memory_app: OkrApplication,
) -> None:
    created = next(e for e in envelopes(memory_app) if e.type == "okr.objective.created.v1")
    older = {k: v for k, v in created.data.items() if k not in ("reason", "parent_id")}
    event = decode(Envelope(**{**created.as_dict(), "data": older}))
    assert event.data.model_dump()["parent_id"] is None
    with pytest.raises(InvalidEventData):  # a required field stays required
        decode(Envelope(**{**created.as_dict(), "data": {"title": "x"}}))
