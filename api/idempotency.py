"""`Idempotency-Key` on POST: the first answer is stored durably and replayed.

Records live in PostgreSQL keyed by (token hash, key) with a fingerprint of the request:
method, path, query, body and the headers that change a command's meaning (`If-Match`). The
token is the record's owner, so one key under another token (another actor) is another
record. The first request inserts its row and holds it, uncommitted, while it runs; a
concurrent request with the same key blocks on that insert until the first commits (then
it replays the stored answer) or rolls back (then it runs itself). Only successful (2xx)
answers are stored: a refused command recorded nothing, so running it again is harmless.

The answer is committed after the command's events. If the process dies in between, the
row is gone but the command is not lost or repeated: its commands run under the key
(`CommandKey`), whose result the event store records in the events' own transaction, so
the retried request finds that result and answers it without changing anything.
"""

from __future__ import annotations

import hashlib
from typing import Any

import anyio
from anyio.to_thread import run_sync
from psycopg import Connection
from psycopg_pool import ConnectionPool
from starlette.datastructures import State
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import Principal, TokenStore, token_hash
from api.errors import problem
from api.middleware import buffered
from api.writer import COMMAND_KEY
from domain.results import CommandKey

MAX_KEY = 255
# Headers a route reads to decide a command: in the fingerprint, so a replay that changes
# one is refused instead of answered with a result it did not ask for.
MEANINGFUL_HEADERS = (b"if-match",)
SECRET_ANSWERS = frozenset({"/v1/tokens"})  # answers we must not keep: they hold tokens
Stored = tuple[str, int, bytes, str]


def _claim(conn: Connection[Any], owner: str, key: str, request_hash: str) -> Stored | None:
    """Insert our row (and hold it), or return the committed row of an earlier request."""
    conn.execute("SET LOCAL lock_timeout = '60s'")
    inserted = conn.execute(
        "INSERT INTO okr_api_idempotency (token_hash, key, request_hash, status, body, "
        "content_type) VALUES (%s, %s, %s, 0, '', '') ON CONFLICT DO NOTHING RETURNING 1",
        (owner, key, request_hash),
    ).fetchone()
    if inserted is not None:
        return None
    row = conn.execute(
        "SELECT request_hash, status, body, content_type FROM okr_api_idempotency "
        "WHERE token_hash = %s AND key = %s", (owner, key),
    ).fetchone()
    assert row is not None
    return str(row[0]), int(row[1]), bytes(row[2]), str(row[3])


def _store(conn: Connection[Any], owner: str, key: str, answer: tuple[int, bytes, str]) -> None:
    conn.execute(
        "UPDATE okr_api_idempotency SET status = %s, body = %s, content_type = %s "
        "WHERE token_hash = %s AND key = %s", (*answer, owner, key),
    )
    conn.commit()


class Idempotency:
    def __init__(self, app: ASGIApp, state: State) -> None:
        self.app = app
        self.state = state
        # Waiting for another request's row lock happens on threads of its own, so waiters
        # never starve the threads the first request needs to finish.
        self.waiting = anyio.CapacityLimiter(64)

    async def _principal(self, authorization: bytes) -> Principal | None:
        """The caller of a bearer token, if known: unauthenticated requests claim nothing."""
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        tokens: TokenStore = self.state.tokens
        principal: Principal | None = await run_sync(
            tokens.principal, token.strip(), limiter=self.waiting)
        return principal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"]) if scope["type"] == "http" else {}
        key = headers.get(b"idempotency-key")
        authorization = headers.get(b"authorization", b"")
        if scope.get("method") != "POST" or key is None or not authorization:
            await self.app(scope, receive, send)
            return
        principal = await self._principal(authorization)
        if principal is None:
            await self.app(scope, receive, send)  # the route answers 401; nothing to keep
            return
        scope.setdefault("state", {})["principal"] = principal  # the route's authentication
        if scope["path"] in SECRET_ANSWERS:
            await problem(422, "Idempotency-Key is not taken here: the answer holds a secret "
                          "that is never stored", type_name="invalid-input")(scope, receive, send)
            return
        if not 1 <= len(key) <= MAX_KEY:
            await problem(422, f"Idempotency-Key must be 1 to {MAX_KEY} characters",
                          type_name="invalid-input")(scope, receive, send)
            return
        body, replay = await _read_body(receive)
        fingerprint = request_fingerprint(scope, headers, body)
        owner = token_hash(authorization.decode("latin-1").partition(" ")[2].strip())
        # A pool of its own: the claimed row's connection is held for the whole request,
        # while the request itself may need the API pool (token lookups).
        pool: ConnectionPool[Any] = self.state.idempotency_pool
        conn = await run_sync(pool.getconn, limiter=self.waiting)
        try:
            stored = await run_sync(
                _claim, conn, owner, key.decode("latin-1"), fingerprint, limiter=self.waiting
            )
            if stored is not None:
                await run_sync(conn.rollback)
                await _answer_stored(stored, fingerprint, scope, receive, send)
                return
            messages: list[Message] = []

            async def keep(message: Message) -> None:
                messages.append(message)

            token = COMMAND_KEY.set(CommandKey(owner, key.decode("latin-1"), fingerprint))
            try:
                await self.app(scope, replay, keep)
            finally:
                COMMAND_KEY.reset(token)
            status = next(int(m["status"]) for m in messages if m["type"] == "http.response.start")
            if 200 <= status < 300:
                answer = (status, b"".join(m.get("body", b"") for m in messages
                                           if m["type"] == "http.response.body"),
                          _content_type(messages))
                await run_sync(_store, conn, owner, key.decode("latin-1"), answer)
            else:
                await run_sync(conn.rollback)
            for message in messages:
                await send(message)
        except BaseException:
            await run_sync(conn.rollback)
            raise
        finally:
            await run_sync(pool.putconn, conn)


def request_fingerprint(scope: Scope, headers: dict[bytes, bytes], body: bytes) -> str:
    """SHA-256 of method, path, query, body and each meaningful header that is present.

    An absent header adds nothing, so requests without one keep the fingerprint they had
    before headers counted (keys recorded by an earlier version still replay).
    """
    parts = [b"POST", scope["path"].encode(), scope.get("query_string", b""), body]
    parts += [name + b":" + headers[name].strip() for name in MEANINGFUL_HEADERS
              if name in headers]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()


async def _answer_stored(
    stored: Stored, fingerprint: str, scope: Scope, receive: Receive, send: Send
) -> None:
    request_hash, status, body, content_type = stored
    if request_hash != fingerprint:
        await problem(422, "this Idempotency-Key was used with a different request",
                      title="Idempotency key reused",
                      type_name="idempotency-key-reused")(scope, receive, send)
        return
    replayed = Response(body, status_code=status, media_type=content_type,
                        headers={"Idempotent-Replayed": "true"})
    await replayed(scope, receive, send)


def _content_type(messages: list[Message]) -> str:
    start = next(m for m in messages if m["type"] == "http.response.start")
    for name, value in start.get("headers", []):
        if name.lower() == b"content-type":
            return bytes(value).decode("latin-1")
    return "application/json"


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    return body, buffered(body, receive)
