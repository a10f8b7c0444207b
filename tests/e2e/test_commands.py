"""Every command answers {id, version, position, warnings}: 201 on create, 200 on change."""

from __future__ import annotations

from typing import Any

from tests.support.http import Api, Org


def assert_answer(body: dict[str, Any]) -> None:
    assert set(body) >= {"id", "version", "position", "warnings"}
    assert isinstance(body["version"], int) and body["position"] > 0
    assert isinstance(body["warnings"], list)


def test_organisation_commands_create_and_move(api: Api) -> None:
    parent = api.request("POST", "/v1/teams", json={"name": "Company"})
    assert parent.status_code == 201
    assert_answer(parent.json())
    child = api.ok("POST", "/v1/teams", {"name": "Platform", "parent_id": parent.json()["id"]})
    person = api.request("POST", "/v1/people",
                         json={"name": "Ada", "email": "ada@example.com"})
    assert person.status_code == 201
    moved = api.request("PUT", f"/v1/people/{person.json()['id']}/team",
                        json={"team_id": child["id"], "reason": "reorg"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["version"] == person.json()["version"] + 1
    people = api.read("/v1/people", moved.json()["position"]).json()["items"]
    assert people == [{"id": person.json()["id"], "name": "Ada", "email": "ada@example.com",
                       "team_id": child["id"]}]
    teams = api.get("/v1/teams").json()["items"]
    assert {t["name"]: t["parent_id"] for t in teams} == {
        "Company": None, "Platform": parent.json()["id"]}


def test_cycle_is_created_listed_and_closed_with_grades(api: Api, org: Org) -> None:
    created = api.request("POST", "/v1/cycles",
                          json={"key": "2026-Q4", "starts_on": "2026-10-01",
                                "ends_on": "2026-12-31"})
    assert created.status_code == 201
    objective = api.objective(org.team)
    kr = api.key_result(objective["id"])
    api.ok("POST", f"/v1/key-results/{kr['id']}/check-ins", {"value": 70})
    closed = api.request("POST", "/v1/cycles/2026-Q4/close", json={})
    assert closed.status_code == 200, closed.text
    assert closed.json()["graded_key_results"] == 1
    cycles = api.read("/v1/cycles", closed.json()["position"]).json()["items"]
    assert cycles == [{"key": "2026-Q4", "starts_on": "2026-10-01", "ends_on": "2026-12-31",
                       "status": "closed"}]
    graded = api.get(f"/v1/key-results/{kr['id']}").json()
    assert graded["score"] == 0.7


def test_objective_commands_edit_reassign_realign_carry_over_archive(api: Api, org: Org) -> None:
    api.cycle()
    api.cycle("2027-Q1", "2027-01-01", "2027-03-31")
    parent = api.objective(org.team, title="Company goal")
    child = api.objective(org.team, title="Team goal")
    oid = child["id"]
    edited = api.request("PATCH", f"/v1/objectives/{oid}",
                         json={"title": "Sharper goal", "description": "why", "reason": "focus"})
    assert edited.status_code == 200
    assert_answer(edited.json())
    owner = {"type": "person", "id": org.person}
    reassigned = api.request("PUT", f"/v1/objectives/{oid}/owner", json={"owner": owner})
    assert reassigned.status_code == 200
    realigned = api.request("PUT", f"/v1/objectives/{oid}/parent",
                            json={"parent_id": parent["id"], "reason": "align"})
    assert realigned.status_code == 200
    carried = api.request("POST", f"/v1/objectives/{oid}/carry-over", json={"cycle": "2027-Q1"})
    assert carried.status_code == 201
    assert carried.json()["id"] != oid
    archived = api.request("POST", f"/v1/objectives/{oid}/archive", json={"reason": "done"})
    assert archived.status_code == 200
    found = api.read(f"/v1/objectives/{oid}", archived.json()["position"]).json()
    assert found["title"] == "Sharper goal" and found["description"] == "why"
    assert found["owner"] == owner and found["parent_id"] == parent["id"]
    assert found["status"] == "archived" and found["version"] == archived.json()["version"]
    new = api.get(f"/v1/objectives/{carried.json()['id']}").json()
    assert new["carried_from"] == oid and new["cycle"] == "2027-Q1"


def test_archive_accepts_an_empty_body(api: Api, org: Org) -> None:
    api.cycle()
    objective = api.objective(org.team)
    assert api.request("POST", f"/v1/objectives/{objective['id']}/archive").status_code == 200


def test_key_result_commands_edit_reassign_check_in_grade(api: Api, org: Org) -> None:
    api.cycle()
    objective = api.objective(org.team)
    created = api.request("POST", f"/v1/objectives/{objective['id']}/key-results",
                          json={"title": "Latency", "kind": "numeric", "start": 400,
                                "target": 200, "unit": "ms", "weight": 2})
    assert created.status_code == 201
    assert created.json()["warnings"] == [
        "objective has 1 key results; 3 to 5 is the usual range"]
    kid = created.json()["id"]
    edited = api.request("PATCH", f"/v1/key-results/{kid}",
                         json={"target": 100, "reason": "more ambitious"})
    assert edited.status_code == 200
    owner = {"type": "person", "id": org.person}
    assert api.request("PUT", f"/v1/key-results/{kid}/owner",
                       json={"owner": owner}).status_code == 200
    checked = api.request("POST", f"/v1/key-results/{kid}/check-ins",
                          json={"value": 250, "confidence": 0.5, "note": "cache"})
    assert checked.status_code == 200
    assert checked.json()["progress"] == 0.5
    graded = api.request("POST", f"/v1/key-results/{kid}/grade", json={"score": 0.6})
    assert graded.status_code == 200
    kr = api.read(f"/v1/key-results/{kid}", graded.json()["position"]).json()
    assert kr["target"] == 100 and kr["owner"] == owner and kr["current"] == 250
    assert kr["score"] == 0.6 and kr["weight"] == 2 and kr["unit"] == "ms"
    assert kr["version"] == graded.json()["version"]


def test_owner_with_too_many_objectives_gets_a_warning_not_a_refusal(api: Api, org: Org) -> None:
    api.cycle()
    answers = [api.objective(org.team, title=f"Goal {n}") for n in range(4)]
    assert answers[2]["warnings"] == []
    assert "4 active objectives" in answers[3]["warnings"][0]


def test_actor_of_each_event_is_the_token_person_or_admin(api: Api, org: Org) -> None:
    api.cycle()
    objective = api.ok("POST", "/v1/objectives", {
        "cycle": "2026-Q4", "title": "Mine", "owner": {"type": "team", "id": org.team}},
        token=org.member)
    page = api.read("/v1/audit", objective["position"],
                    params={"entity_id": objective["id"]}).json()
    assert {e["actor"] for e in page["items"]} == {org.person}
    first = api.read("/v1/audit", objective["position"], params={"limit": 1}).json()
    assert first["items"][0]["actor"] == "admin"
