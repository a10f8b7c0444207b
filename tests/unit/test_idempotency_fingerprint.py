"""The Idempotency-Key fingerprint: what it covers, and what it kept from before."""

from __future__ import annotations

import hashlib
from typing import Any

from api.idempotency import request_fingerprint

SCOPE: dict[str, Any] = {"path": "/v1/key-results/k/check-ins", "query_string": b""}
BODY = b'{"value": 5}'


def test_a_request_without_if_match_keeps_the_fingerprint_of_earlier_versions() -> None:
    before = hashlib.sha256(b"\0".join((b"POST", SCOPE["path"].encode(), b"", BODY)))
    assert request_fingerprint(SCOPE, {b"content-type": b"application/json"}, BODY) == \
        before.hexdigest()


def test_if_match_path_query_and_body_each_change_the_fingerprint() -> None:
    base = request_fingerprint(SCOPE, {b"if-match": b'"3"'}, BODY)
    assert request_fingerprint(SCOPE, {b"if-match": b'"3" '}, BODY) == base
    others = [
        request_fingerprint(SCOPE, {b"if-match": b'"4"'}, BODY),
        request_fingerprint(SCOPE, {}, BODY),
        request_fingerprint({**SCOPE, "path": "/v1/key-results/j/check-ins"},
                            {b"if-match": b'"3"'}, BODY),
        request_fingerprint({**SCOPE, "query_string": b"x=1"}, {b"if-match": b'"3"'}, BODY),
        request_fingerprint(SCOPE, {b"if-match": b'"3"'}, b'{"value": 6}'),
    ]
    assert base not in others and len(set(others)) == len(others)
