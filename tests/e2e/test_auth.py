"""The role matrix: admin all, member writes objectives and KRs, viewer reads."""

from __future__ import annotations

from uuid import uuid4

import pytest

from tests.support.http import Api, Org
from tests.support.routes import MATRIX

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
