"""The role matrix: admin all, member writes objectives and KRs, viewer reads."""

from __future__ import annotations

from uuid import uuid4

import pytest

from tests.support.http import Api, Org

X = str(uuid4())
OWNER = {"type": "team", "id": X}
ADMIN_WRITES = [
    ("POST", "/v1/teams", {"name": "T"}),
    ("POST", "/v1/people", {"name": "P", "email": "p@example.com"}),
    ("PUT", f"/v1/people/{X}/team", {"team_id": X}),
    ("POST", "/v1/cycles", {"key": "2030-Q1", "starts_on": "2030-01-01",
                            "ends_on": "2030-03-31"}),
    ("POST", "/v1/cycles/2030-Q1/close", {}),
    ("POST", "/v1/tokens", {"person_id": X, "role": "viewer"}),
]
MEMBER_WRITES = [
    ("POST", "/v1/objectives", {"cycle": "2030-Q1", "title": "O", "owner": OWNER}),
    ("PATCH", f"/v1/objectives/{X}", {"title": "O"}),
    ("PUT", f"/v1/objectives/{X}/owner", {"owner": OWNER}),
    ("PUT", f"/v1/objectives/{X}/parent", {"parent_id": None}),
    ("POST", f"/v1/objectives/{X}/carry-over", {"cycle": "2030-Q1"}),
    ("POST", f"/v1/objectives/{X}/archive", {}),
    ("POST", f"/v1/objectives/{X}/key-results", {"title": "K", "kind": "binary"}),
    ("PATCH", f"/v1/key-results/{X}", {"title": "K"}),
    ("PUT", f"/v1/key-results/{X}/owner", {"owner": None}),
    ("POST", f"/v1/key-results/{X}/check-ins", {"value": 1}),
    ("POST", f"/v1/key-results/{X}/grade", {"score": 1}),
]
READS = [
    ("GET", "/v1/teams", None), ("GET", "/v1/people", None), ("GET", "/v1/cycles", None),
    ("GET", f"/v1/objectives/{X}", None), ("GET", f"/v1/key-results/{X}", None),
    ("GET", f"/v1/key-results/{X}/check-ins", None),
    ("GET", "/v1/alignment-tree?cycle=2030-Q1", None), ("GET", "/v1/audit", None),
    ("GET", "/v1/changes?cycle=2030-Q1&since=2026-01-01T00:00:00Z&until=2026-02-01T00:00:00Z",
     None),
    ("GET", "/v1/history", None), ("GET", "/v1/insights/engagement?cycle=2030-Q1", None),
    ("GET", "/v1/events", None),
]
MATRIX = ([(*r, "admin") for r in ADMIN_WRITES] + [(*r, "member") for r in MEMBER_WRITES]
          + [(*r, "viewer") for r in READS])
RANK = {"viewer": 0, "member": 1, "admin": 2}


@pytest.mark.parametrize(("method", "url", "body", "needed"), MATRIX,
                         ids=[f"{m} {u.split('?')[0]}" for m, u, _, _ in MATRIX])
def test_each_route_needs_its_role(
    api: Api, org: Org, method: str, url: str, body: object, needed: str
) -> None:
    for role in ("viewer", "member", "admin"):
        answer = api.request(method, url, token=getattr(org, role), json=body)
        if RANK[role] >= RANK[needed]:
            assert answer.status_code not in (401, 403), (role, answer.text)
        else:
            assert answer.status_code == 403, (role, answer.text)
    assert api.client.request(method, url, json=body).status_code == 401


def test_token_is_shown_once_and_stored_hashed(api: Api, org: Org, store: object) -> None:
    token = api.token("viewer", org.person)
    with api.client.app.state.api_pool.connection() as conn:  # type: ignore[attr-defined]
        hashes = [r[0] for r in conn.execute("SELECT token_hash FROM okr_api_tokens")]
    assert token not in hashes and len(hashes) == 4


def test_token_for_an_unknown_person_is_422(api: Api) -> None:
    answer = api.post("/v1/tokens", {"person_id": str(uuid4()), "role": "member"})
    assert answer.status_code == 422


def test_ops_endpoints_need_no_token(api: Api) -> None:
    assert api.client.get("/healthz").status_code == 200
    assert api.client.get("/metrics").status_code == 200
