"""Bearer tokens and roles: admin > member > viewer; the token's person is the actor."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import Depends, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg_pool import ConnectionPool
from starlette.concurrency import run_in_threadpool

from api.errors import Forbidden, Unauthenticated

Role = Literal["admin", "member", "viewer"]
RANK: dict[str, int] = {"viewer": 0, "member": 1, "admin": 2}
BOOTSTRAP_ACTOR = "admin"

bearer = HTTPBearer(
    auto_error=False, scheme_name="bearer",
    description="An API token: OKR_BOOTSTRAP_TOKEN (admin) or one from POST /v1/tokens",
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the actor recorded on events, and the role."""

    actor: str
    role: Role


def token_hash(token: str) -> str:
    """Tokens are 32 random bytes, so one SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return f"okr_{secrets.token_urlsafe(32)}"


class TokenStore:
    """Tokens in PostgreSQL, stored only as hashes; the bootstrap token is held in memory."""

    def __init__(self, pool: ConnectionPool[Any], bootstrap_token: str | None) -> None:
        self.pool = pool
        self.bootstrap = bootstrap_token.encode() if bootstrap_token else None

    def issue(self, person_id: UUID, role: Role, created_by: str) -> str:
        token = new_token()
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO okr_api_tokens (token_hash, person_id, role, created_by) "
                "VALUES (%s, %s, %s, %s)", (token_hash(token), person_id, role, created_by),
            )
        return token

    def bootstrap_principal(self, token: str) -> Principal | None:
        """The admin principal when `token` is the bootstrap token (no database needed)."""
        if self.bootstrap is not None and secrets.compare_digest(token.encode(), self.bootstrap):
            return Principal(actor=BOOTSTRAP_ACTOR, role="admin")
        return None

    def principal(self, token: str) -> Principal | None:
        bootstrap = self.bootstrap_principal(token)
        if bootstrap is not None:
            return bootstrap
        return self.stored_principal(token)

    def stored_principal(self, token: str) -> Principal | None:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT person_id, role FROM okr_api_tokens WHERE token_hash = %s",
                (token_hash(token),),
            ).fetchone()
        return None if row is None else Principal(actor=str(row[0]), role=row[1])


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller, from `Authorization: Bearer <token>`; 401 when missing or unknown.

    On the event loop: the bootstrap token needs no database; a stored token is looked up
    on a worker thread. A route of class `AuthFirst` has done it already.
    """
    known: Principal | None = getattr(request.state, "principal", None)
    if known is not None:
        return known
    if credentials is None or credentials.scheme.lower() != "bearer":
        session = await _dashboard_session(request)
        if session is None:
            raise Unauthenticated()
        return session
    tokens: TokenStore = request.app.state.tokens
    principal = tokens.bootstrap_principal(credentials.credentials)
    if principal is None:
        principal = await run_in_threadpool(tokens.stored_principal, credentials.credentials)
    if principal is None:
        raise Unauthenticated("the bearer token is not known")
    return principal


def authorise(principal: Principal, role: Role) -> Principal:
    if RANK[principal.role] < RANK[role]:
        raise Forbidden(f"this needs the {role} role; the token has {principal.role}")
    return principal


ROLE_CHECKS: dict[Callable[..., Any], Role] = {}  # each `require` dependency -> its role


async def _dashboard_session(request: Request) -> Principal | None:
    """A read (GET) may also come from the dashboard's session cookie, so the pages' report
    links download; commands always need a token (no cross-site request can forge one)."""
    if request.method not in ("GET", "HEAD"):
        return None
    from api.ui.deps import current_session  # the dashboard is built on this module

    session = await current_session(request)
    return None if session is None else session.principal


def require(role: Role) -> Any:
    """A dependency answering the caller when their role is at least `role`, else 403."""

    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        return authorise(principal, role)

    ROLE_CHECKS[check] = role
    return Depends(check)


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for dependency in dependant.dependencies:
        yield dependency
        yield from _dependencies(dependency)


def required_role(dependant: Dependant) -> Role | None:
    """The highest role a route's dependencies require, if any."""
    roles: list[Role] = [ROLE_CHECKS[d.call] for d in _dependencies(dependant)
                         if d.call is not None and d.call in ROLE_CHECKS]
    if not roles:
        return None
    return max(roles, key=RANK.__getitem__)


class AuthFirst(APIRoute):
    """A route that authenticates and authorises its caller before anything else.

    FastAPI parses a JSON body before it resolves any dependency, and resolves dependencies
    in parameter order (a read's `after_position` wait may come before its role check). This
    route checks the token and the role first (401, 403), so a caller without the right to
    ask never learns whether the body or the path was valid, and never makes anyone wait;
    the route's own role dependency then finds the principal in `request.state`.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        role = required_role(self.dependant)
        if role is None:
            return handler

        async def authorised(request: Request) -> Response:
            principal = await authenticate(request, await bearer(request))
            request.state.principal = authorise(principal, role)
            return await handler(request)

        return authorised


Viewer = Annotated[Principal, require("viewer")]
Member = Annotated[Principal, require("member")]
Admin = Annotated[Principal, require("admin")]
