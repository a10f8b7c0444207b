"""Stored v1 check-ins (the golden log's bytes) read as KeyResult.CheckedIn v2 everywhere:
aggregates, projections, the feed and its envelopes, Kafka records and typed consumer events;
the stored bytes are never rewritten."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import orjson
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from api.sse import read_envelopes
from consumers.cloudevents import from_record, record_of, record_of_stored
from consumers.events import decode
from consumers.toolkit import by_public_type
from domain.key_result import KeyResult
from eventstore import Store
from okr.bootstrap import start_store
from okr.cli import app as cli
from okr.settings import Settings
from projections import queries
from tests.support import golden

V1, V2 = "okr.key_result.checked_in.v1", "okr.key_result.checked_in.v2"


@pytest.fixture
def golden_store(database_url: str) -> Iterator[Store]:
    result = CliRunner().invoke(cli, ["import", str(golden.LOG)],
                                env={"OKR_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    store = start_store(Settings(database_url=SecretStr(database_url)))
    yield store
    store.close()


def _stored_check_ins(store: Store) -> list[Any]:
    notifications = store.app.recorder.select_notifications(start=1, limit=10_000)
    return [n for n in notifications if n.topic.endswith("KeyResult.CheckedIn")]


def test_stored_v1_check_ins_keep_their_bytes_and_decode_as_v2_with_channel_api(
        golden_store: Store) -> None:
    stored = _stored_check_ins(golden_store)
    lines = {orjson.loads(line)["position"]: orjson.loads(line)
             for line in golden.LOG.read_bytes().splitlines()[1:]}
    assert stored
    for notification in stored:
        assert notification.state.decode() == lines[notification.id]["stored"]["state"]
        assert b"channel" not in notification.state
        event = golden_store.app.mapper.to_domain_event(notification)
        assert type(event) is KeyResult.CheckedIn
        assert event.channel == "api"


def test_an_aggregate_with_v1_check_ins_loads_and_takes_a_v2_check_in(
        golden_store: Store) -> None:
    last = _stored_check_ins(golden_store)[-1]
    kr = golden_store.app.repository.get(last.originator_id)
    assert isinstance(kr, KeyResult)
    assert kr.check_ins == sum(1 for n in _stored_check_ins(golden_store)
                               if n.originator_id == last.originator_id)

    kr_open = _open_key_result(golden_store)
    golden_store.app.check_in(kr_open, value=1.0, actor="admin", channel="ui")
    newest = golden_store.app.recorder.select_notifications(
        start=golden_store.feed().head(), limit=1)[0]
    assert orjson.loads(newest.state)["channel"] == "ui"
    assert orjson.loads(newest.state)["class_version"] == 2


def _open_key_result(store: Store) -> UUID:
    with store.pool.connection() as conn:
        cycle = next(c["key"] for c in queries.cycles(conn) if c["status"] == "open")
        tree = queries.alignment_tree(conn, cycle)
    assert tree is not None
    return UUID(tree["roots"][0]["key_results"][0]["id"])


def test_projections_read_v1_check_ins(golden_store: Store) -> None:
    last = _stored_check_ins(golden_store)[-1]
    with golden_store.pool.connection() as conn:
        items = queries.check_ins(conn, last.originator_id)
        audit = queries.audit(conn, entity_id=last.originator_id, limit=500)["items"]
    value = orjson.loads(last.state)["value"]
    assert items and value in [item["value"] for item in items]
    assert {entry["event_type"] for entry in audit} >= {V2}
    assert V1 not in {entry["event_type"] for entry in audit}


def test_the_feed_and_kafka_records_carry_v1_check_ins_as_v2(golden_store: Store) -> None:
    notification = _stored_check_ins(golden_store)[0]
    envelope = read_envelopes(golden_store, notification.id - 1, 1)[0]
    assert envelope["type"] == V2
    assert envelope["data"]["channel"] == "api"

    # The relay's path: no record straight from a v1 state; the decoded event's record.
    assert record_of_stored(notification) is None
    event = golden_store.app.mapper.to_domain_event(notification)
    record = record_of(event, notification.id)
    assert dict(record.headers)["ce_type"] == V2.encode()
    assert orjson.loads(record.value)["channel"] == "api"


def test_typed_consumers_take_records_of_both_versions(golden_store: Store) -> None:
    notification = _stored_check_ins(golden_store)[0]
    event = golden_store.app.mapper.to_domain_event(notification)
    record = record_of(event, notification.id)
    # A v1 record published before the upgrade: the same record without channel.
    old_data = {k: v for k, v in orjson.loads(record.value).items() if k != "channel"}
    old_headers = [(k, V1.encode() if k == "ce_type" else v) for k, v in record.headers]

    new = decode(from_record(record.headers, record.value))
    old = decode(from_record(old_headers, orjson.dumps(old_data)))

    assert old.type == V1 and new.type == V2
    assert old.data == new.data
    assert old.data.channel == "api"  # type: ignore[attr-defined]
    handlers = by_public_type({KeyResult.CheckedIn: lambda *_: None})
    assert set(handlers) == {V1, V2}
