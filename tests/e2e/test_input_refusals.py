"""Input that must be refused, not stored: times outside the documented range, numbers that
are not JSON numbers; and values stored before these rules that must never make a read fail."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest

from domain.cycle import Cycle
from eventstore import Store
from tests.support.http import Api, Org, assert_problem

OUTSIDE = [
    "0001-01-01T00:00:00+14:00",  # the year 0 once converted to UTC
    "1899-12-31T23:59:59.999999Z",
    "1900-01-01T00:59:59+01:00",  # 1899 in UTC
    "3000-01-01T00:00:00Z",
    "2999-12-31T23:00:00-01:00",  # 3000 in UTC
    "9999-12-31T23:59:59-14:00",
]


def _world(api: Api, org: Org) -> tuple[dict[str, Any], dict[str, Any]]:
    api.cycle()
    objective = api.objective(org.team)
    return objective, api.key_result(objective["id"])


@pytest.mark.parametrize("instant", OUTSIDE)
def test_effective_at_outside_the_documented_range_is_422_and_records_nothing(
    api: Api, org: Org, store: Store, instant: str
) -> None:
    _, kr = _world(api, org)
    head = store.feed().head()
    problem = assert_problem(api.post(f"/v1/key-results/{kr['id']}/check-ins",
                                      {"value": 1, "effective_at": instant}), 422)
    assert problem["errors"][0]["field"] == "body.effective_at"
    assert store.feed().head() == head


@pytest.mark.parametrize("instant", OUTSIDE)
def test_query_times_outside_the_documented_range_are_422(
    api: Api, org: Org, instant: str
) -> None:
    objective, kr = _world(api, org)
    window = {"cycle": "2026-Q4", "since": "2026-10-01T00:00:00Z",
              "until": "2026-10-02T00:00:00Z"}
    reads = [
        (f"/v1/objectives/{objective['id']}", {}, "as_of"),
        (f"/v1/objectives/{objective['id']}", {}, "valid_at"),
        (f"/v1/key-results/{kr['id']}", {}, "as_of"),
        (f"/v1/key-results/{kr['id']}", {}, "valid_at"),
        (f"/v1/key-results/{kr['id']}/check-ins", {}, "as_of"),
        ("/v1/alignment-tree", {"cycle": "2026-Q4"}, "as_of"),
        ("/v1/alignment-tree", {"cycle": "2026-Q4"}, "valid_at"),
        ("/v1/changes", window, "since"),
        ("/v1/changes", window, "until"),
        ("/v1/audit", {}, "since"),
        ("/v1/audit", {}, "until"),
    ]
    for url, params, name in reads:
        problem = assert_problem(api.get(url, params={**params, name: instant}), 422)
        assert [e["field"] for e in problem["errors"]] == [f"query.{name}"], (url, problem)


def test_the_ends_of_the_documented_range_are_accepted(api: Api, org: Org) -> None:
    objective, kr = _world(api, org)
    answer = api.ok("POST", f"/v1/key-results/{kr['id']}/check-ins",
                    {"value": 1, "effective_at": "1900-01-01T00:00:00Z"})
    read = api.read(f"/v1/objectives/{objective['id']}", answer["position"],
                    params={"valid_at": "2999-12-31T23:59:59.999999Z"})
    assert read.status_code == 200, read.text
    checks = api.read(f"/v1/key-results/{kr['id']}/check-ins", answer["position"]).json()
    assert [c["effective_at"] for c in checks["items"]] == ["1900-01-01T00:00:00Z"]


def test_audit_times_are_rfc3339_with_an_offset_not_numbers(api: Api) -> None:
    for params in ({"since": "0"}, {"until": "1700000000"}, {"since": "2026-11-01"},
                   {"until": "2026-11-01T10:00:00"}):
        assert_problem(api.get("/v1/audit", params=params), 422)


@pytest.mark.parametrize("dates", [
    {"starts_on": "0001-01-01", "ends_on": "2026-12-31"},
    {"starts_on": "2026-10-01", "ends_on": "9999-12-31"},
    {"starts_on": "1899-12-31", "ends_on": "2026-12-31"},
    {"starts_on": "2026-10-01", "ends_on": "3000-01-01"},
    {"starts_on": 0, "ends_on": 86_400},
    {"starts_on": "2026-10-01T00:00:00", "ends_on": "2026-12-31"},
    {"starts_on": "2026-10-01", "ends_on": "20261231"},
])
def test_cycle_dates_outside_the_range_or_not_dates_are_422(
    api: Api, store: Store, dates: dict[str, Any]
) -> None:
    head = store.feed().head()
    assert_problem(api.post("/v1/cycles", {"key": "2026-Q4", **dates}), 422)
    assert store.feed().head() == head


def test_cycle_on_the_ends_of_the_range_is_accepted(api: Api) -> None:
    api.cycle("Forever", starts_on="1900-01-01", ends_on="2999-12-31")


# -- values stored before the rules -----------------------------------------------------
def _store_legacy_check_ins(store: Store, kr_id: UUID) -> None:
    """Check-ins as an older server recorded them: effective_at before the range (one
    Python cannot even hold in UTC). Later than now was always refused, so none is stored."""
    kr = store.app.repository.get(kr_id)
    for value, when in ((1.0, datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))),
                        (2.0, datetime(1899, 6, 1, tzinfo=UTC))):
        kr._checked_in(value=value, confidence=None, note=None, effective_at=when, actor="old",
                       channel="api")
    store.app.save(kr)


def test_a_stored_effective_at_outside_the_range_never_makes_a_read_fail(
    api: Api, org: Org, store: Store
) -> None:
    objective, kr = _world(api, org)
    _store_legacy_check_ins(store, UUID(kr["id"]))
    position = store.feed().head()
    checks = api.read(f"/v1/key-results/{kr['id']}/check-ins", position)
    assert checks.status_code == 200, checks.text
    # Shown at the nearest end of the range; ordered, and applicable, by the instant stored.
    assert [(c["value"], c["effective_at"]) for c in checks.json()["items"]] == [
        (1.0, "1900-01-01T00:00:00Z"), (2.0, "1900-01-01T00:00:00Z")]
    detail = api.read(f"/v1/key-results/{kr['id']}", position)
    assert detail.status_code == 200 and detail.json()["current"] == 2.0
    for url, params in ((f"/v1/objectives/{objective['id']}", {}),
                        ("/v1/alignment-tree", {"cycle": "2026-Q4"}),
                        ("/v1/audit", {"entity_id": kr["id"]}),
                        ("/v1/events", {}),
                        ("/v1/insights/engagement", {"cycle": "2026-Q4"})):
        assert api.read(url, position, params=params).status_code == 200, url


def test_a_stored_cycle_outside_the_range_never_makes_a_read_fail(
    api: Api, org: Org, store: Store
) -> None:
    since = datetime.now(UTC).isoformat()
    store.app.save(Cycle(key="Ages", starts_on=date(1, 1, 1), ends_on=date(9999, 12, 31),
                         actor="old"))
    objective = api.objective(org.team, cycle="Ages")
    kr = api.key_result(objective["id"])
    api.ok("POST", f"/v1/key-results/{kr['id']}/check-ins", {"value": 5})
    position = store.feed().head()
    for url, params in (("/v1/cycles", {}), ("/v1/history", {}),
                        ("/v1/alignment-tree", {"cycle": "Ages"}),
                        ("/v1/insights/engagement", {"cycle": "Ages"}),
                        ("/v1/changes", {"cycle": "Ages", "since": since,
                                         "until": datetime.now(UTC).isoformat()})):
        assert api.read(url, position, params=params).status_code == 200, url


# -- numbers ------------------------------------------------------------------------------
NOT_NUMBERS = ["12", " 12 ", "1_000", "0.5", "1e3", True, False, None, [1], {"n": 1}]
NUMBER_FIELDS = {  # route -> (a valid body, the number fields it takes)
    "check-in": ({"value": 0.5, "confidence": 0.5}, ("value", "confidence")),
    "new key result": ({"title": "K", "kind": "numeric", "start": 0, "target": 1,
                        "weight": 1}, ("start", "target", "weight")),
    "key result edit": ({"target": 5, "weight": 2}, ("target", "weight")),
    "grade": ({"score": 0.5}, ("score",)),
}


def _number_route(api: Api, org: Org, route: str) -> tuple[str, str]:
    objective, kr = _world(api, org)
    return {
        "check-in": ("POST", f"/v1/key-results/{kr['id']}/check-ins"),
        "new key result": ("POST", f"/v1/objectives/{objective['id']}/key-results"),
        "key result edit": ("PATCH", f"/v1/key-results/{kr['id']}"),
        "grade": ("POST", f"/v1/key-results/{kr['id']}/grade"),
    }[route]


@pytest.mark.parametrize("route", sorted(NUMBER_FIELDS))
def test_numbers_must_be_json_numbers_strings_and_booleans_are_422(
    api: Api, org: Org, store: Store, route: str
) -> None:
    method, url = _number_route(api, org, route)
    valid, fields = NUMBER_FIELDS[route]
    head = store.feed().head()
    for field in fields:
        for bad in NOT_NUMBERS:
            if bad is None and field in ("confidence", "weight", "target", "start"):
                continue  # optional fields: null means "not given"
            answer = api.request(method, url, json={**valid, field: bad})
            problem = assert_problem(answer, 422)
            assert [e["field"] for e in problem["errors"]] == [f"body.{field}"], (field, bad)
    assert store.feed().head() == head
    api.ok(method, url, valid)  # the same body with JSON numbers is taken


def test_integers_are_json_numbers_too(api: Api, org: Org) -> None:
    _, kr = _world(api, org)
    answer = api.ok("POST", f"/v1/key-results/{kr['id']}/check-ins",
                    {"value": 12, "confidence": 1})
    assert answer["progress"] == 0.12


def test_a_key_result_spanning_the_whole_range_of_doubles_is_done_at_its_target(
    api: Api, org: Org
) -> None:
    api.cycle()
    objective = api.objective(org.team)
    kr = api.ok("POST", f"/v1/objectives/{objective['id']}/key-results",
                {"title": "Huge", "kind": "numeric", "start": -1.7e308, "target": 1.7e308})
    answer = api.ok("POST", f"/v1/key-results/{kr['id']}/check-ins", {"value": 1.7e308})
    assert answer["progress"] == 1.0
    read = api.read(f"/v1/objectives/{objective['id']}", answer["position"]).json()
    assert read["progress"] == 1.0 and read["key_results"][0]["progress"] == 1.0


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000,
                                  b'{"name": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
                                  b'{"name": 1' + b"0" * 5_000 + b"}"],
                         ids=["nested arrays", "nested value", "5000-digit number"])
def test_a_body_the_json_parser_cannot_hold_is_422_not_400(api: Api, body: bytes) -> None:
    answer = api.request("POST", "/v1/teams", content=body,
                         headers={"Content-Type": "application/json"})
    assert assert_problem(answer, 422)["type"].endswith("/invalid-input")
