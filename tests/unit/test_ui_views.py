"""The dashboard's pure pieces: check-in marks, the chart series, the current cycle, links,
lenient query fields and where sign-in may send back to."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from api.ui.params import ViewTime, instant, link, whole
from api.ui.routes.auth import safe_next
from api.ui.views import Names, current_cycle, marked_check_ins, value_series
from domain.errors import InvalidInput

NAMES = Names(teams={"t1": "Platform"}, people={"p1": "Ada"})


def check_in(value: float, effective: str, recorded: str) -> dict[str, object]:
    return {"value": value, "confidence": None, "note": None, "actor": "p1",
            "effective_at": f"2026-10-{effective}+00:00",
            "recorded_at": f"2026-10-{recorded}+00:00"}


ITEMS = [  # by effective time, as the query gives them
    check_in(10, "02T17:00:00", "02T17:00:00"),
    check_in(12, "02T17:00:00", "06T09:00:00"),  # a correction of the first
    check_in(20, "09T17:00:00", "12T09:00:00"),  # made on Monday for Friday
]


def test_a_later_check_in_for_the_same_effective_time_is_a_correction_of_the_earlier() -> None:
    marks = [item["marks"] for item in marked_check_ins(ITEMS, NAMES)]
    assert marks == [["superseded"], ["correction"], ["back-dated"]]
    assert marked_check_ins(ITEMS, NAMES)[0]["actor_name"] == "Ada"


def test_the_chart_has_one_point_per_effective_time_with_the_value_that_applies() -> None:
    assert value_series(ITEMS) == [{"x": "2026-10-02T17:00:00Z", "y": 12},
                                   {"x": "2026-10-09T17:00:00Z", "y": 20}]


def test_the_current_cycle_is_the_open_one_holding_today() -> None:
    cycles = [
        {"key": "Q3", "starts_on": "2026-07-01", "ends_on": "2026-09-30", "status": "closed"},
        {"key": "Q4", "starts_on": "2026-10-01", "ends_on": "2026-12-31", "status": "open"},
        {"key": "Q1", "starts_on": "2027-01-01", "ends_on": "2027-03-31", "status": "open"},
    ]
    assert current_cycle(cycles, date(2026, 11, 15)) == "Q4"
    assert current_cycle(cycles, date(2027, 6, 1)) == "Q1"  # none holds today: the latest open
    assert current_cycle(cycles[:1], date(2026, 11, 15)) == "Q3"
    assert current_cycle([], date(2026, 11, 15)) is None


def test_links_leave_out_fields_without_a_value_and_write_instants_in_utc() -> None:
    when = ViewTime(as_of=datetime(2026, 11, 15, 13, tzinfo=UTC))
    assert link("/ui/tree", cycle="Q4", team=None, page="", **when.query()) == \
        "/ui/tree?cycle=Q4&as_of=2026-11-15T13%3A00%3A00Z"
    assert link("/ui/") == "/ui/"


def test_query_fields_are_read_leniently_but_refused_by_the_api_rules() -> None:
    assert instant("as_of", "") is None
    assert instant("as_of", "2026-11-15T12:00:00+01:00") == datetime(2026, 11, 15, 11,
                                                                    tzinfo=UTC)
    for bad in ("2026-11-15T12:00:00", "yesterday", "1763200000"):
        with pytest.raises(InvalidInput):
            instant("as_of", bad)
    assert whole("page", "", 1) == 1 and whole("page", "3", 1) == 3
    with pytest.raises(InvalidInput):
        whole("page", "0", 1)


@pytest.mark.parametrize("target, expected", [
    ("/ui/tree?cycle=Q4", "/ui/tree?cycle=Q4"), (None, "/ui/"), ("//evil.example", "/ui/"),
    ("https://evil.example/ui/", "/ui/"), ("/v1/teams", "/ui/"), ("/ui\\evil", "/ui/"),
    ("/ui/\r\nSet-Cookie: x", "/ui/"),
])
def test_sign_in_sends_back_only_to_a_page_of_the_dashboard(
    target: str | None, expected: str
) -> None:
    assert safe_next(target) == expected
