"""Reads through HTTP: tree, check-ins, audit, changes, history, engagement, time travel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from tests.support.http import Api, Org


def now() -> str:
    return datetime.now(tz=UTC).isoformat()


def test_alignment_tree_nests_children_under_parents(api: Api, org: Org) -> None:
    api.cycle()
    top = api.objective(org.team, title="Top")
    child = api.objective(org.team, title="Child", parent_id=top["id"])
    kr = api.key_result(child["id"], target=10)
    last = api.ok("POST", f"/v1/key-results/{kr['id']}/check-ins", {"value": 5})
    tree = api.read("/v1/alignment-tree", last["position"], params={"cycle": "2026-Q4"}).json()
    assert tree["cycle"] == "2026-Q4" and tree["as_of"] is None
    [root] = tree["roots"]
    assert root["id"] == top["id"] and root["children"][0]["id"] == child["id"]
    assert root["children"][0]["key_results"] == [
        {"id": kr["id"], "title": "Signups", "current": 5.0, "target": 10.0, "progress": 0.5}]


def test_correction_recorded_later_is_invisible_as_of_earlier_time(api: Api, org: Org) -> None:
    api.cycle("2026-Q4", "2026-01-01", "2026-12-31")
    objective = api.objective(org.team)
    kr = api.key_result(objective["id"])
    url = f"/v1/key-results/{kr['id']}"
    week_ago = datetime.now(tz=UTC) - timedelta(days=7)
    api.ok("POST", f"{url}/check-ins", {"value": 10, "effective_at": week_ago.isoformat()})
    before_correction = now()
    back_dated = (week_ago + timedelta(days=1)).isoformat()
    last = api.ok("POST", f"{url}/check-ins", {"value": 30, "effective_at": back_dated})
    assert api.read(url, last["position"]).json()["current"] == 30
    then = api.get(url, params={"as_of": before_correction}).json()
    assert then["current"] == 10
    valid_earlier = api.get(url, params={
        "valid_at": (week_ago + timedelta(hours=1)).isoformat()}).json()
    assert valid_earlier["current"] == 10
    objective_then = api.get(f"/v1/objectives/{objective['id']}",
                             params={"as_of": before_correction}).json()
    assert objective_then["key_results"][0]["current"] == 10
    tree = api.get("/v1/alignment-tree", params={
        "cycle": "2026-Q4", "as_of": before_correction}).json()
    assert tree["roots"][0]["key_results"][0]["current"] == 10
    assert tree["as_of"] is not None
    listed = api.get(f"{url}/check-ins", params={"as_of": before_correction}).json()["items"]
    assert [c["value"] for c in listed] == [10]
    assert listed[0]["actor"] == "admin"
    assert len(api.get(f"{url}/check-ins").json()["items"]) == 2


def test_offsets_other_than_utc_are_accepted(api: Api, org: Org) -> None:
    api.cycle()
    objective = api.objective(org.team)
    just_now = datetime.now(UTC).astimezone(timezone(timedelta(hours=2))).isoformat()
    answer = api.read(f"/v1/objectives/{objective['id']}", objective["position"],
                      params={"as_of": just_now})
    assert answer.status_code == 200
    before = api.get(f"/v1/objectives/{objective['id']}",
                     params={"as_of": "2001-01-01T10:00:00-05:00"})
    assert before.status_code == 404


def test_audit_filters_and_pages_with_a_cursor(api: Api, org: Org) -> None:
    api.cycle()
    objective = api.objective(org.team)
    oid = objective["id"]
    last = api.ok("PATCH", f"/v1/objectives/{oid}", {"title": "Renamed", "reason": "clarity"})
    page = api.read("/v1/audit", last["position"], params={"entity_id": oid}).json()
    assert [e["event_type"] for e in page["items"]][-1] == "okr.objective.edited.v1"
    edit = page["items"][-1]
    assert edit["changes"]["title"] == {"from": "Delight users", "to": "Renamed"}
    assert edit["reason"] == "clarity" and edit["actor"] == "admin"
    first = api.get("/v1/audit", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = api.get("/v1/audit", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert second["items"][0]["position"] > first["items"][-1]["position"]
    assert api.get("/v1/audit", params={"cursor": "garbage!"}).status_code == 422
    by_actor = api.get("/v1/audit", params={"actor": org.person}).json()
    assert by_actor["items"] == []


def test_changes_between_two_instants(api: Api, org: Org) -> None:
    api.cycle()
    since = now()
    objective = api.objective(org.team)
    kr = api.key_result(objective["id"])
    last = api.ok("PATCH", f"/v1/key-results/{kr['id']}", {"target": 50, "reason": "scope"})
    api.read("/v1/teams", last["position"])
    answer = api.get("/v1/changes", params={"cycle": "2026-Q4", "since": since, "until": now()})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {a["id"] for a in body["added"]} == {objective["id"], kr["id"]}
    assert api.get("/v1/changes", params={"cycle": "2026-Q4", "since": since}).status_code == 422


def test_history_and_engagement(api: Api, org: Org) -> None:
    api.cycle()
    objective = api.objective(org.team)
    kr = api.key_result(objective["id"])
    last = api.ok("POST", f"/v1/key-results/{kr['id']}/check-ins", {"value": 50})
    history = api.read("/v1/history", last["position"]).json()["items"]
    assert history[0]["cycle"] == "2026-Q4" and history[0]["check_ins"] == 1
    mine = api.get("/v1/history", params={"owner_type": "team", "owner_id": org.team}).json()
    assert mine["items"][0]["objectives"] == 1
    engagement = api.get("/v1/insights/engagement", params={"cycle": "2026-Q4"}).json()
    team = next(t for t in engagement["items"] if t["team_id"] == org.team)
    assert team["objectives"] == 1 and team["check_ins_14d"] == 1
    assert api.get("/v1/insights/engagement", params={"cycle": "nope"}).status_code == 404


def test_every_read_accepts_after_position(api: Api, org: Org) -> None:
    api.cycle()
    objective = api.objective(org.team)
    kr = api.key_result(objective["id"])
    position = kr["position"]
    for url, params in [
        ("/v1/teams", {}), ("/v1/people", {}), ("/v1/cycles", {}),
        (f"/v1/objectives/{objective['id']}", {}), (f"/v1/key-results/{kr['id']}", {}),
        (f"/v1/key-results/{kr['id']}/check-ins", {}), ("/v1/alignment-tree", {"cycle": "2026-Q4"}),
        ("/v1/audit", {}), ("/v1/changes", {"cycle": "2026-Q4", "since": now(), "until": now()}),
        ("/v1/history", {}), ("/v1/insights/engagement", {"cycle": "2026-Q4"}),
        ("/v1/events", {}),
    ]:
        answer = api.read(url, position, params=params)
        assert answer.status_code == 200, (url, answer.text)
