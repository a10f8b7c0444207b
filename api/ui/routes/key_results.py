"""`/ui/key-results/{id}`: value over time with the target, check-ins (recorded vs effective,
corrections marked), the audit trail, and the check-in form for members."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse

from api.deps import CommandsDep, ReadConn, StoreDep
from api.errors import status_of
from api.schemas import CheckInCreate
from api.ui.deps import CheckedForm, SignedIn, When, allowed, require
from api.ui.params import ViewTime, link
from api.ui.routes.objectives import AUDIT_SHOWN, expected_pace
from api.ui.routing import page_router
from api.ui.sessions import Session
from api.ui.templating import render
from api.ui.views import Names, audit_rows, chrome, kr_chart, marked_check_ins
from domain.errors import DomainError, NotFound
from domain.health import HEALTH_RULE, health
from projections import queries

router = page_router()
FIELDS = ("value", "confidence", "note", "effective_at")


def _page(conn: Any, session: Session, kr_id: UUID, when: ViewTime, *, status: int = 200,
          error: str | None = None, sent: dict[str, str] | None = None) -> Response:
    kr = queries.key_result_detail(conn, kr_id, when.as_of, when.valid_at)
    objective = queries.objective_detail(conn, kr["objective_id"], when.as_of) if kr else None
    if kr is None or objective is None:
        raise NotFound(f"no key result {kr_id} at that instant")
    info = queries.cycle_info(conn, objective["cycle"])
    assert info is not None  # a KR's cycle exists
    names, expected = Names.load(conn), expected_pace(info, when)
    items = queries.check_ins(conn, kr_id, when.as_of) or []
    cycles = queries.cycles(conn)
    cycle = next(c for c in cycles if c["key"] == info.key)
    trail = queries.audit(conn, entity_id=kr_id, until=when.as_of, limit=AUDIT_SHOWN)
    live = when.as_of is None and when.valid_at is None
    time_query = when.query()
    return render(
        "key_result.html", status=status, kr=kr, objective=objective, when=when,
        time_query=time_query, health=health(kr["progress"], expected, kr["confidence"]),
        pace=expected, rule=HEALTH_RULE, owner_name=names.owner(kr["owner"] or
                                                                  objective["owner"]),
        check_ins=marked_check_ins(items, names), chart=kr_chart(kr, items, cycle),
        may_check_in=allowed(session, "member"),
        open_for_check_ins=live and info.status == "open" and objective["status"] == "active",
        error=error, sent=sent or dict.fromkeys(FIELDS, ""),
        trail=audit_rows(trail["items"], names), more=trail["next_cursor"] is not None,
        audit_link=link("/ui/audit", entity_id=str(kr_id), until=time_query["as_of"]),
        report=link("/v1/reports/audit", format="csv", entity_id=str(kr_id),
                    until=time_query["as_of"]),
        **chrome(session, names, cycles),
    )


@router.get("/ui/key-results/{kr_id}")
def key_result(kr_id: UUID, session: SignedIn, when: When, conn: ReadConn) -> Response:
    """A key result as of `as_of`, valid at `valid_at`."""
    return _page(conn, session, kr_id, when)


def _number(text: str) -> float | str:
    """A number typed in a form; anything else is left for the model to refuse."""
    try:
        return float(text)
    except ValueError:
        return text


def typed(form: FormData) -> dict[str, str]:
    return {name: str(form.get(name) or "").strip() for name in FIELDS}


def check_in_body(sent: dict[str, str]) -> CheckInCreate:
    """The check-in the typed fields make, under the API's own rules."""
    fields: dict[str, Any] = {name: text for name, text in sent.items() if text}
    for name in ("value", "confidence"):
        if name in fields:
            fields[name] = _number(fields[name])
    return CheckInCreate.model_validate(fields)


@router.post("/ui/key-results/{kr_id}/check-ins")
async def check_in(kr_id: UUID, session: SignedIn, form: CheckedForm, commands: CommandsDep,
                   store: StoreDep) -> Response:
    """Record a check-in with the signed-in member as the actor."""
    require(session, "member")
    sent = typed(form)
    try:
        body = check_in_body(sent)
        answer = await commands.answer(
            commands.app.check_in, kr_id, value=body.value, confidence=body.confidence,
            note=body.note, effective_at=body.effective_at, actor=session.actor, channel="ui",
        )
    except ValidationError as invalid:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                             for e in invalid.errors())
        return await _again(store, session, kr_id, 422, f"Not recorded: {problems}.", sent)
    except DomainError as refused:
        return await _again(store, session, kr_id, status_of(refused),
                            f"Not recorded: {refused.detail}", sent)
    await run_in_threadpool(queries.wait_for_position, store.pool, int(answer["position"]))
    return RedirectResponse(f"/ui/key-results/{kr_id}#check-ins", status_code=303)


async def _again(store: Any, session: Session, kr_id: UUID, status: int, error: str,
                 sent: dict[str, str]) -> Response:
    """The page again, with the refusal and what was typed."""
    def page() -> Response:
        with store.pool.connection() as conn:
            return _page(conn, session, kr_id, ViewTime(), status=status, error=error,
                         sent=sent)
    return await run_in_threadpool(page)
