"""Edges found in review: odd headers, numbers as times, secrets, carry-over If-Match, docs."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tests.support.http import Api, Org, assert_problem


def test_if_match_with_a_non_ascii_digit_is_422_not_500(api: Api, org: Org) -> None:
    objective = api.objective(org.team, cycle=api.cycle())["id"]
    answer = api.request("PATCH", f"/v1/objectives/{objective}", json={"title": "x"},
                         headers={"If-Match": "\u00b2".encode("latin-1")})
    assert_problem(answer, 422)


def test_last_event_id_with_a_non_ascii_digit_is_422_not_500(api: Api) -> None:
    answer = api.get("/v1/events/stream", headers={"Last-Event-ID": "\u00b2".encode("latin-1")})
    assert_problem(answer, 422)


def test_numbers_are_not_times(api: Api, org: Org) -> None:
    objective = api.objective(org.team, cycle=api.cycle())["id"]
    kr = api.key_result(objective)["id"]
    answer = api.post(f"/v1/key-results/{kr}/check-ins",
                      json={"value": 1, "effective_at": 1700000000})
    assert_problem(answer, 422)
    assert_problem(api.get("/v1/alignment-tree",
                           params={"cycle": "2026-Q4", "as_of": "1700000000"}), 422)
    just_now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    assert api.get("/v1/alignment-tree", params={
        "cycle": "2026-Q4", "as_of": just_now}).status_code == 200


def test_token_creation_takes_no_idempotency_key_so_no_token_is_kept(
    api: Api, org: Org
) -> None:
    answer = api.post("/v1/tokens", {"person_id": org.person, "role": "viewer"},
                      headers={"Idempotency-Key": "k1"})
    assert_problem(answer, 422)


def test_carry_over_honours_if_match(api: Api, org: Org) -> None:
    objective = api.objective(org.team, cycle=api.cycle())["id"]
    api.cycle("2027-Q1", "2027-01-01", "2027-03-31")
    stale = api.post(f"/v1/objectives/{objective}/carry-over", {"cycle": "2027-Q1"},
                     headers={"If-Match": "99"})
    assert_problem(stale, 412)
    fresh = api.post(f"/v1/objectives/{objective}/carry-over", {"cycle": "2027-Q1"},
                     headers={"If-Match": "1"})
    assert fresh.status_code == 201, fresh.text


def test_docs_page_needs_no_cdn(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "cdn.jsdelivr.net" not in page
    script = page.split('src="', 1)[1].split('"', 1)[0]
    assert client.get(script).status_code == 200
