"""The role table of the API (docs/api.md): every /v1 route with a body that would be valid,
and the least role it needs. Shared by the role tests and the auth-first tests."""

from __future__ import annotations

from uuid import uuid4

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
ADMIN_READS = [("GET", "/v1/export", None)]
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
    ("GET", "/v1/reports/history?format=json", None),
    ("GET", "/v1/integrity", None), ("GET", "/v1/integrity/1", None),
]
MATRIX = ([(*r, "admin") for r in ADMIN_WRITES + ADMIN_READS]
          + [(*r, "member") for r in MEMBER_WRITES] + [(*r, "viewer") for r in READS])
