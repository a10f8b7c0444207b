"""Idempotency-Key: a replay returns the first answer and records nothing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from eventstore import Store
from tests.support.http import Api, Org


def test_replay_with_the_same_body_returns_the_first_answer_and_records_nothing(
    api: Api, store: Store
) -> None:
    first = api.post("/v1/teams", {"name": "Platform"}, headers={"Idempotency-Key": "k1"})
    assert first.status_code == 201
    head = store.feed().head()
    again = api.post("/v1/teams", {"name": "Platform"}, headers={"Idempotency-Key": "k1"})
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert store.feed().head() == head


def test_same_key_with_a_different_body_is_422(api: Api, store: Store) -> None:
    api.post("/v1/teams", {"name": "Platform"}, headers={"Idempotency-Key": "k1"})
    head = store.feed().head()
    other = api.post("/v1/teams", {"name": "Other"}, headers={"Idempotency-Key": "k1"})
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert store.feed().head() == head


def test_same_key_with_a_different_if_match_is_422_not_the_stored_answer(
    api: Api, org: Org, store: Store
) -> None:
    api.cycle()
    kr = api.key_result(api.objective(org.team)["id"])
    url = f"/v1/key-results/{kr['id']}/check-ins"
    first = api.post(url, {"value": 5}, headers={"If-Match": "1", "Idempotency-Key": "m1"})
    assert first.status_code == 200, first.text
    head = store.feed().head()
    for changed in ({"If-Match": "7"}, {"If-Match": "*"}, {}):
        other = api.post(url, {"value": 5}, headers={**changed, "Idempotency-Key": "m1"})
        assert other.status_code == 422, (changed, other.text)
        assert other.json()["type"].endswith("/idempotency-key-reused")
    same = api.post(url, {"value": 5}, headers={"If-Match": "1", "Idempotency-Key": "m1"})
    assert same.json() == first.json() and same.headers["Idempotent-Replayed"] == "true"
    assert store.feed().head() == head


def test_keys_belong_to_their_token(api: Api, org: Org, store: Store) -> None:
    api.cycle()
    body = {"cycle": "2026-Q4", "title": "Mine", "owner": {"type": "team", "id": org.team}}
    mine = api.post("/v1/objectives", body, headers={"Idempotency-Key": "same"})
    theirs = api.post("/v1/objectives", body, token=org.member,
                      headers={"Idempotency-Key": "same"})
    assert mine.json()["id"] != theirs.json()["id"]


def test_a_refused_command_is_not_stored_so_it_runs_again(api: Api, org: Org) -> None:
    api.cycle()
    kr = api.key_result(api.objective(org.team)["id"])
    url = f"/v1/key-results/{kr['id']}/check-ins"
    stale = {"If-Match": "99", "Idempotency-Key": "c1"}
    assert api.post(url, {"value": 5}, headers=stale).status_code == 412
    fresh = {"If-Match": str(kr["version"]), "Idempotency-Key": "c1"}
    first = api.post(url, {"value": 5}, headers=fresh)
    assert first.status_code == 200
    assert api.post(url, {"value": 5}, headers=fresh).json() == first.json()


def test_concurrent_identical_requests_record_once(api: Api, store: Store) -> None:
    head = store.feed().head()
    start = threading.Barrier(8)

    def send(_: int) -> tuple[int, str]:
        start.wait()
        answer = api.post("/v1/teams", {"name": "Once"}, headers={"Idempotency-Key": "race"})
        return answer.status_code, answer.json()["id"]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    assert {status for status, _ in answers} == {201}
    assert len({team for _, team in answers}) == 1
    assert store.feed().head() == head + 1


def test_overlong_key_is_422(api: Api) -> None:
    answer = api.post("/v1/teams", {"name": "x"}, headers={"Idempotency-Key": "k" * 256})
    assert answer.status_code == 422


def _lose_the_stored_answers(store: Store) -> None:
    """What a crash between the events' commit and the answer's commit leaves behind."""
    with store.pool.connection() as conn:
        conn.execute("DELETE FROM okr_api_idempotency")


def test_an_answer_lost_after_the_commit_is_answered_again_without_recording_twice(
    api: Api, org: Org, store: Store,
) -> None:
    api.cycle()
    kr = api.key_result(api.objective(org.team)["id"])
    url = f"/v1/key-results/{kr['id']}/check-ins"
    first = api.post(url, {"value": 7}, headers={"Idempotency-Key": "lost"})
    assert first.status_code == 200
    head = store.feed().head()
    _lose_the_stored_answers(store)

    again = api.post(url, {"value": 7}, headers={"Idempotency-Key": "lost"})

    assert (again.status_code, again.json()) == (200, first.json())
    assert store.feed().head() == head
    replayed = api.post(url, {"value": 7}, headers={"Idempotency-Key": "lost"})
    assert replayed.headers["Idempotent-Replayed"] == "true"


def test_a_lost_answer_does_not_let_the_key_run_another_request(
    api: Api, store: Store,
) -> None:
    api.post("/v1/teams", {"name": "Platform"}, headers={"Idempotency-Key": "k2"})
    head = store.feed().head()
    _lose_the_stored_answers(store)

    other = api.post("/v1/teams", {"name": "Other"}, headers={"Idempotency-Key": "k2"})

    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency-key-reused")
    assert store.feed().head() == head
