"""Every error status of the contract, as problem+json, and nothing recorded on refusal."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from eventstore import Store
from tests.support.http import BOOTSTRAP, Api, Org, assert_problem, bearer


def test_missing_token_is_401_with_a_bearer_challenge(client: TestClient) -> None:
    answer = client.get("/v1/teams")
    assert_problem(answer, 401)
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_token_is_401(client: TestClient) -> None:
    assert_problem(client.get("/v1/teams", headers=bearer("nope")), 401)
    assert_problem(client.get("/v1/teams", headers={"Authorization": f"Basic {BOOTSTRAP}"}), 401)


def test_viewer_writing_is_403(api: Api, org: Org) -> None:
    body = assert_problem(api.post("/v1/teams", {"name": "X"}, token=org.viewer), 403)
    assert "admin" in body["detail"]


def test_unknown_id_in_the_path_is_404(api: Api, org: Org) -> None:
    missing = uuid4()
    assert_problem(api.get(f"/v1/objectives/{missing}"), 404)
    assert_problem(api.get(f"/v1/key-results/{missing}"), 404)
    assert_problem(api.get(f"/v1/key-results/{missing}/check-ins"), 404)
    assert_problem(api.request("PATCH", f"/v1/objectives/{missing}", json={"title": "x"}), 404)
    assert_problem(api.post(f"/v1/key-results/{missing}/check-ins", {"value": 1}), 404)
    assert_problem(api.post("/v1/cycles/1999-Q1/close", {}), 404)
    assert_problem(api.get("/v1/alignment-tree", params={"cycle": "1999-Q1"}), 404)
    assert_problem(api.get("/v1/no-such-route"), 404)


def test_unknown_id_in_the_body_is_422_and_records_nothing(
    api: Api, org: Org, store: Store
) -> None:
    api.cycle()
    head = store.feed().head()
    answer = api.post("/v1/objectives", {"cycle": "2026-Q4", "title": "x",
                                         "owner": {"type": "team", "id": str(uuid4())}})
    assert_problem(answer, 422)
    assert_problem(api.post("/v1/teams", {"name": "x", "parent_id": str(uuid4())}), 422)
    assert_problem(api.post("/v1/objectives", {"cycle": "1999-Q1", "title": "x",
                                               "owner": {"type": "team", "id": org.team}}), 422)
    assert store.feed().head() == head


def test_alignment_loop_is_409_and_records_nothing(api: Api, org: Org, store: Store) -> None:
    api.cycle()
    top = api.objective(org.team, title="Top")
    below = api.objective(org.team, title="Below", parent_id=top["id"])
    head = store.feed().head()
    body = assert_problem(api.request("PUT", f"/v1/objectives/{top['id']}/parent",
                                      json={"parent_id": below["id"]}), 409)
    assert body["title"] == "Alignment loop"
    assert store.feed().head() == head


def test_duplicate_cycle_and_changes_after_close_are_409(api: Api, org: Org) -> None:
    api.cycle()
    objective = api.objective(org.team)
    kr = api.key_result(objective["id"])
    assert_problem(api.post("/v1/cycles", {"key": "2026-Q4", "starts_on": "2026-10-01",
                                           "ends_on": "2026-12-31"}), 409)
    api.ok("POST", "/v1/cycles/2026-Q4/close", {})
    assert_problem(api.post(f"/v1/key-results/{kr['id']}/check-ins", {"value": 5}), 409)
    assert_problem(api.request("PATCH", f"/v1/objectives/{objective['id']}",
                               json={"title": "late"}), 409)


def test_an_archived_objective_and_its_key_results_refuse_every_change_with_409(
    api: Api, org: Org, store: Store
) -> None:
    api.cycle()
    objective = api.objective(org.team)
    kr = api.key_result(objective["id"])
    api.ok("POST", f"/v1/objectives/{objective['id']}/archive", {})
    head = store.feed().head()
    url = f"/v1/key-results/{kr['id']}"
    for method, path, body in (
        ("POST", f"{url}/check-ins", {"value": 5}),
        ("PATCH", url, {"target": 50, "reason": "raised"}),
        ("PUT", f"{url}/owner", {"owner": {"type": "team", "id": org.team}}),
        ("POST", f"{url}/grade", {"score": 0.5}),
        ("POST", f"/v1/objectives/{objective['id']}/key-results",
         {"title": "More", "kind": "binary"}),
    ):
        problem = assert_problem(api.request(method, path, json=body), 409)
        assert problem["type"].endswith("/objective-archived"), (path, problem)
    assert store.feed().head() == head


def test_if_match_with_a_stale_version_is_412(api: Api, org: Org, store: Store) -> None:
    api.cycle()
    objective = api.objective(org.team)
    url = f"/v1/objectives/{objective['id']}"
    etag = api.read(url, objective["position"]).headers["ETag"]
    assert etag == f'"{objective["version"]}"'
    ok = api.request("PATCH", url, json={"title": "New"}, headers={"If-Match": etag})
    assert ok.status_code == 200
    head = store.feed().head()
    stale = api.request("PATCH", url, json={"title": "Newer"}, headers={"If-Match": etag})
    assert_problem(stale, 412)
    assert store.feed().head() == head
    unquoted = api.request("PATCH", url, json={"title": "Newer"},
                           headers={"If-Match": str(ok.json()["version"])})
    assert unquoted.status_code == 200
    assert_problem(api.request("PATCH", url, json={"title": "x"}, headers={"If-Match": "v1"}),
                   422)


def test_body_over_one_mebibyte_is_413(api: Api) -> None:
    big = {"name": "x", "padding": "a" * (1024 * 1024)}
    assert_problem(api.post("/v1/teams", big), 413)


def test_chunked_body_over_one_mebibyte_is_413(api: Api) -> None:
    def chunks() -> Any:
        for _ in range(20):
            yield b"a" * 65536

    answer = api.request("POST", "/v1/teams", content=chunks(),
                         headers={"Content-Type": "application/json"})
    assert "content-length" not in {k.lower() for k in answer.request.headers}
    assert_problem(answer, 413)


@pytest.mark.parametrize(("field", "size"), [("title", 201), ("description", 10_001),
                                             ("reason", 1001), ("title", 0)])
def test_text_beyond_its_limit_is_422(api: Api, org: Org, field: str, size: int) -> None:
    api.cycle()
    objective = api.objective(org.team)
    body = {"title": "ok", field: "x" * size}
    answer = api.request("PATCH", f"/v1/objectives/{objective['id']}", json=body)
    problem = assert_problem(answer, 422)
    assert problem["errors"][0]["field"] == f"body.{field}"


def test_name_and_note_limits_are_422(api: Api, org: Org) -> None:
    assert_problem(api.post("/v1/teams", {"name": "x" * 201}), 422)
    api.cycle()
    kr = api.key_result(api.objective(org.team)["id"])
    assert_problem(api.post(f"/v1/key-results/{kr['id']}/check-ins",
                            {"value": 1, "note": "n" * 10_001}), 422)
    assert api.post(f"/v1/key-results/{kr['id']}/check-ins",
                    {"value": 1, "note": "n" * 10_000}).status_code == 200


def test_time_without_offset_is_422_in_body_and_query(api: Api, org: Org) -> None:
    api.cycle()
    objective = api.objective(org.team)
    kr = api.key_result(objective["id"])
    problem = assert_problem(api.post(f"/v1/key-results/{kr['id']}/check-ins",
                                      {"value": 1, "effective_at": "2026-11-01T10:00:00"}), 422)
    assert problem["errors"][0]["field"] == "body.effective_at"
    assert_problem(api.get(f"/v1/objectives/{objective['id']}",
                           params={"as_of": "2026-11-01T10:00:00"}), 422)
    assert_problem(api.get("/v1/alignment-tree",
                           params={"cycle": "2026-Q4", "valid_at": "2026-11-01T10:00:00"}), 422)


def test_domain_refusal_of_input_is_422_with_the_field(api: Api, org: Org) -> None:
    api.cycle()
    objective = api.objective(org.team)
    problem = assert_problem(api.post(f"/v1/objectives/{objective['id']}/key-results",
                                      {"title": "x", "kind": "numeric", "start": 1,
                                       "target": 1}), 422)
    assert problem["errors"] == [{"field": "target", "message": "start and target must differ"}]


def test_malformed_json_and_unknown_fields_are_422(api: Api) -> None:
    answer = api.request("POST", "/v1/teams", content=b"{not json",
                         headers={"Content-Type": "application/json"})
    assert_problem(answer, 422)
    assert_problem(api.post("/v1/teams", {"name": "x", "colour": "red"}), 422)


def test_read_not_caught_up_is_503_with_retry_after(api: Api, app: FastAPI) -> None:
    app.state.read_wait_timeout = 0.2
    answer = api.get("/v1/teams", params={"after_position": 10_000})
    assert_problem(answer, 503)
    assert answer.headers["Retry-After"] == "1"


def test_unexpected_error_is_a_generic_500_problem(
    app: FastAPI, store: Store, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def explode(**_: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(store.app, "create_team", explode)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.post("/v1/teams", json={"name": "x"}, headers=bearer(BOOTSTRAP))
    body = assert_problem(answer, 500)
    assert "secret" not in answer.text and body["detail"].startswith("an unexpected error")
    assert any("secret internals" in str(r.exc_info) for r in caplog.records if r.exc_info)


def test_nul_characters_are_refused_before_they_reach_an_event(
    api: Api, store: Store
) -> None:
    head = store.feed().head()
    assert_problem(api.post("/v1/teams", {"name": "a\u0000b"}), 422)
    assert_problem(api.post("/v1/people", {"name": "a", "email": "a\u0000@b.c"}), 422)
    assert_problem(api.get("/v1/audit", params={"actor": "a\u0000"}), 422)
    assert store.feed().head() == head
