"""The canonical bytes the integrity chain hashes (contract section 7), without a database."""

from __future__ import annotations

import hashlib
import json
import random
import struct
from dataclasses import dataclass
from uuid import UUID

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.application import OkrApplication
from eventstore.canonical import (
    GENESIS,
    UNREADABLE,
    canonical_bytes,
    canonical_json,
    canonical_object,
    unreadable,
    utc_time,
)
from eventstore.envelope import envelope_of
from eventstore.seals import chain, link
from tests.support.world import record_every_kind_of_event

AGGREGATE = UUID("6ec7880b-252f-48a3-a3d7-6cadbb3beeeb")
TEAM_CREATED = "domain.organisation:Team.Created"


@dataclass(frozen=True)
class Row:
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


def team_created(**fields: object) -> Row:
    state = {"timestamp": {"_type_": "datetime_iso", "_data_": "2026-10-01T12:00:00+02:00"},
             "originator_topic": "domain.organisation:Team", "name": "Team 4",
             "parent_id": None, "actor": "admin", **fields}
    return Row(AGGREGATE, 1, TEAM_CREATED, json.dumps(state).encode())


def test_the_canonical_bytes_are_rfc_8785_of_the_contracts_object() -> None:
    assert canonical_bytes(team_created()) == (
        b'{"actor":"admin","aggregate_id":"6ec7880b-252f-48a3-a3d7-6cadbb3beeeb",'
        b'"aggregate_type":"team","aggregate_version":1,'
        b'"data":{"actor":"admin","name":"Team 4","parent_id":null},'
        b'"id":"7a755425-7be9-570c-a23d-e61434fb08e0","schema_version":1,'
        b'"subject":"6ec7880b-252f-48a3-a3d7-6cadbb3beeeb",'
        b'"time":"2026-10-01T10:00:00.000000Z","type":"okr.team.created.v1"}'
    )


def test_the_chain_starts_from_32_zero_bytes_and_hashes_the_previous_hash_first() -> None:
    rows = [team_created(name="A"), team_created(name="B")]
    first = hashlib.sha256(bytes(32) + canonical_bytes(rows[0])).digest()
    second = hashlib.sha256(first + canonical_bytes(rows[1])).digest()
    assert bytes(32) == GENESIS
    assert chain(GENESIS, rows) == [first, second]
    assert link(first, rows[1]) == second


def test_time_is_utc_with_six_fractional_digits() -> None:
    assert utc_time("2026-10-01T00:00:00+02:00") == "2026-09-30T22:00:00.000000Z"
    assert utc_time("2026-10-01T00:00:00.5-01:30") == "2026-10-01T01:30:00.500000Z"


def test_payload_numbers_are_hashed_as_doubles() -> None:
    data = canonical_object(team_created(weight=3, big=10**20, huge=2**60, small=5e-324))["data"]
    assert data["weight"] == 3.0 and isinstance(data["weight"], float)
    text = rfc8785.dumps(data)
    assert b'"weight":3' in text and b'"big":100000000000000000000' in text
    assert b'"huge":1152921504606847000' in text and b'"small":5e-324' in text


def test_schema_version_and_type_are_those_the_event_was_stored_with() -> None:
    stored_v2 = canonical_object(team_created(class_version=2))
    assert stored_v2["schema_version"] == 2 and stored_v2["type"] == "okr.team.created.v2"
    assert "class_version" not in stored_v2["data"]


def test_every_kind_of_event_hashes_the_envelope_fields_and_data_as_the_feed_shows_them(
    memory_app: OkrApplication,
) -> None:
    record_every_kind_of_event(memory_app)
    for n in memory_app.recorder.select_notifications(start=1, limit=1000):
        envelope = envelope_of(memory_app.mapper.to_domain_event(n), n.id).as_dict()
        hashed = canonical_object(n)
        for name in ("id", "type", "subject", "aggregate_type", "aggregate_id",
                     "aggregate_version", "actor", "data"):
            assert hashed[name] == envelope[name], name
        assert hashed["time"] == utc_time(envelope["time"])
        assert canonical_bytes(n) == rfc8785.dumps(hashed)


UNREADABLE_STATES = [
    b"not json",
    b'{"timestamp": {"_type_": "datetime_iso", "_data_": "2026-10-01T12:00:00+00:00"}, '
    b'"actor": "x", "value": NaN}',
    b'{"timestamp": {"_type_": "datetime_iso", "_data_": "2026-10-01T12:00:00+00:00"}, '
    b'"actor": "x", "value": 1e400}',
    b'{"timestamp": {"_type_": "datetime_iso", "_data_": "2026-10-01T12:00:00+00:00"}, '
    b'"actor": "x", "value": ' + b"9" * 400 + b"}",
    b'{"timestamp": {"_type_": "datetime_iso", "_data_": "2026-10-01T12:00:00+00:00"}, '
    b'"actor": "\\ud800"}',
    b'{"timestamp": {"_type_": "datetime_iso", "_data_": "2026-10-01T12:00:00"}, "actor": "x"}',
    b'{"timestamp": {"_type_": "decimal_str", "_data_": "1.5"}, "actor": "x"}',
    b'{"actor": "no timestamp"}',
    b'{"timestamp": {"_type_": "datetime_iso", "_data_": "2026-10-01T12:00:00+00:00"}, '
    b'"class_version": "two"}',
    b"[1, 2]",
]


def test_a_row_that_is_not_readable_as_an_event_is_hashed_by_its_stored_form() -> None:
    for state in UNREADABLE_STATES:
        row = Row(AGGREGATE, 1, TEAM_CREATED, state)
        assert canonical_bytes(row) == unreadable(row), state
    unknown_topic = Row(AGGREGATE, 1, "nowhere:Nothing", team_created().state)
    assert canonical_bytes(unknown_topic) == unreadable(unknown_topic)
    too_high = Row(AGGREGATE, 2**60, TEAM_CREATED, team_created().state)
    assert canonical_bytes(too_high) == unreadable(too_high)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(fields=st.dictionaries(st.text(), JSON, max_size=5))
def test_no_payload_can_stop_the_chain_and_the_bytes_are_the_librarys(
    fields: dict[str, object],
) -> None:
    state = json.dumps({"timestamp": {"_type_": "datetime_iso",
                                      "_data_": "2026-10-01T12:00:00+00:00"}, **fields},
                       ensure_ascii=False).encode("utf-8", "surrogatepass")
    row = Row(AGGREGATE, 1, TEAM_CREATED, state)
    try:
        expected = rfc8785.dumps(canonical_object(row))
    except UNREADABLE:
        expected = unreadable(row)
    assert canonical_bytes(row) == expected


@given(state=st.binary(max_size=200), topic=st.text(max_size=40))
def test_no_stored_bytes_can_stop_the_chain(state: bytes, topic: str) -> None:
    canonical_bytes(Row(AGGREGATE, 1, topic, state))


# canonical_json writes through orjson where its bytes are RFC 8785's: every JSON value,
# and above all every double, must give the library's bytes (or the library's refusal).
SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**60), max_value=2**60)
           | st.floats() | st.text())
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(), inner, max_size=4), max_leaves=20)


def _library_or_refusal(value: object) -> bytes | type[Exception]:
    try:
        return rfc8785.dumps(value)
    except ValueError as error:
        return type(error)


def _ours_or_refusal(value: object) -> bytes | type[Exception]:
    try:
        return canonical_json(value)
    except ValueError as error:
        return type(error)


@settings(max_examples=1000)
@given(VALUES)
def test_canonical_json_is_the_rfc8785_librarys_for_every_json_value(value: object) -> None:
    assert _ours_or_refusal(value) == _library_or_refusal(value)


@settings(max_examples=3000)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_canonical_json_writes_every_double_as_the_library_does(number: float) -> None:
    assert canonical_json(number) == rfc8785.dumps(number)


def test_canonical_json_writes_doubles_of_every_magnitude_as_the_library_does() -> None:
    """A sweep over the bit patterns of doubles (every exponent, random mantissas), and the
    values where JSON writers disagree: the notation changes at 1e-6 and 1e21 in ECMAScript,
    at 1e-5 and 1e16 in orjson."""
    rng = random.Random(8785)
    numbers = [struct.unpack("<d", struct.pack("<Q", (exponent << 52) | rng.getrandbits(52)))[0]
               for exponent in range(0, 2047) for _ in range(40)]
    numbers += [1e-7, 1e-6, 1.234e-6, 9.999999999999999e-06, 1e-5, 1.0000000000000002e-05,
                0.000015, 1.5e-7, 5e-324, 0.1 + 0.2, 4503599627370495.5, 2.0**52, 2.0**53,
                2.0**53 + 2, 1e16, 1e20, 1e21, 1.5e21, 1.7976931348623157e308, -0.0, -1e-6]
    for number in numbers:
        for value in (number, -number):
            assert canonical_json(value) == rfc8785.dumps(value), repr(value)


def test_canonical_json_orders_keys_and_escapes_strings_as_the_library_does() -> None:
    for value in ("\x00\x01\x08\t\n\x0b\x0c\r\x1f\x7f\"\\/é\u2028😀",
                  {"é": 1.0, "z": 2.0, "a": [1.0, {"b": None}], "\U0001f600": 0.5, "ﬀ": 1},
                  {"b": True, "a": False, "A": "x", "": [], "aa": {}}):
        assert canonical_json(value) == rfc8785.dumps(value), value
    for refused in ("\ud800", 2**53, float("nan"), float("inf"), {1: "not a text key"}):
        assert _ours_or_refusal(refused) == _library_or_refusal(refused), refused
