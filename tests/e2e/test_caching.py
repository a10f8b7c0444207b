"""What a read reflects (`OKR-Position`) and how long it may be kept: current reads are never
cached, reads at a settled instant never change, so they carry an ETag and answer 304."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.http import Api, Org


def just_now() -> str:
    return datetime.now(UTC).isoformat()


def test_current_reads_say_no_cache_and_their_position_and_never_answer_304(
    api: Api, org: Org,
) -> None:
    api.cycle()
    objective = api.objective(org.team)
    for url, params in [("/v1/teams", {}), ("/v1/alignment-tree", {"cycle": "2026-Q4"}),
                        (f"/v1/objectives/{objective['id']}", {}), ("/v1/audit", {}),
                        ("/v1/history", {})]:
        answer = api.read(url, objective["position"], params=params)
        assert answer.status_code == 200, url
        assert answer.headers["Cache-Control"] == "no-cache"
        assert int(answer.headers["OKR-Position"]) >= objective["position"]
        again = api.get(url, params=params, headers={
            "If-None-Match": answer.headers.get("ETag", "*")})
        assert again.status_code == 200, url


def test_a_read_as_of_an_instant_names_the_last_position_recorded_by_then(
    api: Api, org: Org,
) -> None:
    api.cycle()
    first = api.objective(org.team, title="First")
    instant = just_now()
    api.objective(org.team, title="Second")
    answer = api.get("/v1/alignment-tree", params={"cycle": "2026-Q4", "as_of": instant})
    assert int(answer.headers["OKR-Position"]) == first["position"]
    assert [r["title"] for r in answer.json()["roots"]] == ["First"]


def test_settled_reads_carry_an_opaque_etag_and_answer_304_to_it(api: Api, org: Org) -> None:
    api.cycle()
    objective = api.objective(org.team)
    kr = api.key_result(objective["id"])
    instant = just_now()
    for url, params in [
        ("/v1/alignment-tree", {"cycle": "2026-Q4", "as_of": instant}),
        (f"/v1/key-results/{kr['id']}/check-ins", {"as_of": instant}),
        ("/v1/audit", {"until": instant}),
        ("/v1/changes", {"cycle": "2026-Q4", "since": "2026-10-01T00:00:00Z",
                         "until": instant}),
    ]:
        answer = api.get(url, params=params)
        assert answer.status_code == 200, (url, answer.text)
        assert answer.headers["Cache-Control"] == "private, max-age=86400"
        etag = answer.headers["ETag"]
        assert etag.startswith('"') and etag != f'"{objective["version"]}"'
        api.ok("POST", f"/v1/key-results/{kr['id']}/check-ins", {"value": 1})  # later news
        cached = api.get(url, params=params, headers={"If-None-Match": etag})
        assert cached.status_code == 304, url
        assert cached.headers["ETag"] == etag and cached.content == b""
        again = api.get(url, params=params)
        assert (again.text, again.headers["ETag"]) == (answer.text, etag)
        other = api.get(url, params={**params, "after_position": 1})
        assert other.headers["ETag"] == etag  # waiting for a position changes no answer


def test_one_entity_read_as_of_an_instant_keeps_its_version_as_etag_and_answers_304(
    api: Api, org: Org,
) -> None:
    api.cycle()
    objective = api.objective(org.team)
    kr = api.key_result(objective["id"])
    instant = just_now()
    checked = api.ok("POST", f"/v1/key-results/{kr['id']}/check-ins", {"value": 1})
    url = f"/v1/key-results/{kr['id']}"
    answer = api.get(url, params={"as_of": instant})
    assert answer.headers["ETag"] == f'"{kr["version"]}"'
    assert answer.headers["Cache-Control"] == "private, max-age=86400"
    cached = api.get(url, params={"as_of": instant}, headers={"If-None-Match": '"1"'})
    assert cached.status_code == 304
    current = api.read(url, checked["position"], headers={"If-None-Match": '"2"'})
    assert current.status_code == 200 and current.headers["ETag"] == '"2"'


def test_reads_as_of_before_a_cycle_existed_do_not_know_it(api: Api, org: Org) -> None:
    before = just_now()
    api.cycle()
    answer = api.get("/v1/alignment-tree", params={"cycle": "2026-Q4", "as_of": before})
    assert answer.status_code == 404


def test_a_report_at_a_settled_instant_is_cached_like_the_read_it_renders(
    api: Api, org: Org,
) -> None:
    api.cycle()
    api.objective(org.team)
    params = {"cycle": "2026-Q4", "as_of": just_now(), "format": "csv"}
    answer = api.get("/v1/reports/alignment", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Cache-Control"] == "private, max-age=86400"
    cached = api.get("/v1/reports/alignment", params=params,
                     headers={"If-None-Match": answer.headers["ETag"]})
    assert cached.status_code == 304
    ahead = api.get("/v1/reports/alignment", params={
        **params, "as_of": (datetime.now(UTC) + timedelta(minutes=1)).isoformat()})
    assert ahead.status_code == 422
    current = api.get("/v1/reports/alignment", params={"cycle": "2026-Q4"})
    assert current.headers["Cache-Control"] == "no-cache"
