"""Request and answer models at the edge of the API (pydantic v2)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from api.timeparams import Day, Instant
from domain.event_types import event_type_of
from domain.key_result import KeyResult
from domain.values import (
    CYCLE_KEY_MAX,
    CYCLE_KEY_PATTERN,
    EMAIL_PATTERN,
    NAME_MAX,
    REASON_MAX,
    TEXT_MAX,
)

# PostgreSQL text cannot hold NUL characters: refused here, before they reach any event.
NO_NUL = r"^[^\x00]*$"
Name = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX, pattern=NO_NUL)]
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX, pattern=NO_NUL)]
Reason = Annotated[str | None, Field(
    default=None, max_length=REASON_MAX, pattern=NO_NUL, description="Why; kept in the audit"
)]
CycleKey = Annotated[str, StringConstraints(
    min_length=1, max_length=CYCLE_KEY_MAX, pattern=f"^{CYCLE_KEY_PATTERN.pattern}$")]
Email = Annotated[str, StringConstraints(pattern=f"^{EMAIL_PATTERN.pattern}$")]
# JSON numbers only (strict): "12", "1_000" and true are refused, never coerced.
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
UnitInterval = Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]
Weight = Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)]
Role = Literal["admin", "member", "viewer"]
OWNER_EXAMPLE: dict[str, Any] = {"type": "team", "id": "8f14e45f-ceea-467f-a0e6-3b8d1e6a2c11"}


class In(BaseModel):
    """Base of request bodies: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Owner(BaseModel):
    """A team or a person."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [OWNER_EXAMPLE]})

    type: Literal["team", "person"]
    id: UUID


# -- command answers ------------------------------------------------------------------
class CommandAnswer(BaseModel):
    """What every successful command answers."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "0b5d2f44-3f0e-4c55-9a8e-1c2b3d4e5f60", "version": 3, "position": 42,
        "warnings": []}]})

    id: str = Field(description="The entity created or changed")
    version: int = Field(description="Its new version (send it back in If-Match)")
    position: int = Field(description="Position of the last event recorded in the global log")
    warnings: list[str] = Field(description="Best-practice hints; never a refusal")


class CheckInAnswer(CommandAnswer):
    progress: float = Field(description="The key result's progress after this check-in")


class CycleClosedAnswer(CommandAnswer):
    graded_key_results: int = Field(description="Key results graded by the close")


class TokenCreated(BaseModel):
    """A new API token; the secret is shown only in this answer."""

    token: str = Field(description="Bearer token; store it now, it cannot be shown again")
    person_id: UUID
    role: Role


# -- organisation and cycles ----------------------------------------------------------
class TeamCreate(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Platform"}]})

    name: Name
    parent_id: UUID | None = Field(default=None, description="The parent team")


class PersonCreate(In):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"name": "Ada Lovelace", "email": "ada@example.com"}]})

    name: Name
    email: Email
    team_id: UUID | None = None


class PersonMove(In):
    team_id: UUID
    reason: Reason


class TokenCreate(In):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"person_id": "8f14e45f-ceea-467f-a0e6-3b8d1e6a2c11", "role": "member"}]})

    person_id: UUID
    role: Role


class CycleCreate(In):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"key": "2026-Q4", "starts_on": "2026-10-01", "ends_on": "2026-12-31"}]})

    key: CycleKey
    starts_on: Day
    ends_on: Day


class CycleClose(In):
    """Closing takes no fields."""


class TeamPublic(BaseModel):
    id: str
    name: str
    parent_id: str | None


class PersonPublic(BaseModel):
    id: str
    name: str
    email: str
    team_id: str | None


class CyclePublic(BaseModel):
    key: str
    starts_on: date
    ends_on: date
    status: Literal["open", "closed"]


class TeamList(BaseModel):
    items: list[TeamPublic]


class PersonList(BaseModel):
    items: list[PersonPublic]


class CycleList(BaseModel):
    items: list[CyclePublic]


# -- objectives -----------------------------------------------------------------------
class ObjectiveCreate(In):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"cycle": "2026-Q4", "title": "Make onboarding delightful", "owner": OWNER_EXAMPLE}]})

    cycle: CycleKey
    title: Name
    description: Text | None = None
    owner: Owner
    parent_id: UUID | None = Field(default=None, description="The objective it aligns to")


class ObjectiveUpdate(In):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"title": "Make onboarding fast", "reason": "narrowed the scope"}]})

    title: Name | None = None
    description: Text | None = None
    reason: Reason


class OwnerChange(In):
    owner: Owner
    reason: Reason


class KeyResultOwnerChange(In):
    owner: Owner | None = Field(description="null removes the key result's own owner")
    reason: Reason


class ParentChange(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"parent_id": None}]})

    parent_id: UUID | None = Field(description="The new parent objective, or null for a root")
    reason: Reason


class CarryOver(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"cycle": "2027-Q1"}]})

    cycle: CycleKey
    reason: Reason


class Archive(In):
    reason: Reason


class KeyResultPublic(BaseModel):
    id: str
    version: int
    objective_id: str
    title: str
    kind: Literal["numeric", "percentage", "binary"]
    start: float
    target: float
    unit: str | None
    weight: float
    owner: Owner | None
    current: float | None
    confidence: float | None
    progress: float
    score: float | None


class ObjectivePublic(BaseModel):
    id: str
    version: int
    cycle: str
    title: str
    description: str | None
    owner: Owner | None
    parent_id: str | None
    status: Literal["active", "archived"]
    progress: float
    score: float | None
    carried_from: str | None
    key_results: list[KeyResultPublic]


# -- key results ----------------------------------------------------------------------
class KeyResultCreate(In):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"title": "Time to first value under 10 minutes", "kind": "numeric", "start": 45,
         "target": 10, "unit": "min"}]})

    title: Name
    kind: Literal["numeric", "percentage", "binary"]
    start: Number | None = None
    target: Number | None = None
    unit: Annotated[str, StringConstraints(max_length=NAME_MAX, pattern=NO_NUL)] | None = None
    weight: Weight | None = None
    owner: Owner | None = None


class KeyResultUpdate(In):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"target": 15, "reason": "new baseline"}]})

    title: Name | None = None
    target: Number | None = None
    weight: Weight | None = None
    reason: Reason


class CheckInCreate(In):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"value": 30, "confidence": 0.7, "note": "new wizard shipped",
         "effective_at": "2026-11-02T09:00:00+01:00"}]})

    value: Number
    confidence: UnitInterval | None = None
    note: Text | None = None
    effective_at: Instant | None = Field(
        default=None, description="When the value is true from (RFC 3339 with offset)"
    )


class Grade(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"score": 0.7}]})

    score: UnitInterval
    note: Text | None = None


class CheckInPublic(BaseModel):
    value: float
    confidence: float | None
    note: str | None
    effective_at: AwareDatetime
    recorded_at: AwareDatetime
    actor: str


class CheckInList(BaseModel):
    items: list[CheckInPublic]


# -- reads ----------------------------------------------------------------------------
class NodeKeyResult(BaseModel):
    id: str
    title: str
    current: float | None
    target: float
    progress: float


class Node(BaseModel):
    id: str
    title: str
    owner: Owner | None
    progress: float
    key_results: list[NodeKeyResult]
    children: list[Node]


class AlignmentTree(BaseModel):
    cycle: str
    as_of: AwareDatetime | None
    valid_at: AwareDatetime
    roots: list[Node]


class AuditEntry(BaseModel):
    position: int
    recorded_at: AwareDatetime
    actor: str
    entity_type: str
    entity_id: str
    event_type: str
    changes: dict[str, dict[str, Any]] = Field(description="field: {from, to}")
    reason: str | None


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class Changes(BaseModel):
    cycle: str
    since: AwareDatetime
    until: AwareDatetime
    added: list[dict[str, Any]]
    archived: list[dict[str, Any]]
    realigned: list[dict[str, Any]]
    reassigned: list[dict[str, Any]]
    retargeted: list[dict[str, Any]]
    progress: list[dict[str, Any]]


class QuarterStats(BaseModel):
    cycle: str
    objectives: int
    key_results: int
    avg_progress: float | None
    avg_score: float | None
    hit_rate: float | None = Field(description="Share of graded KRs with score >= 0.7")
    check_ins: int
    carried_in: int


class History(BaseModel):
    items: list[QuarterStats]


class TeamStats(BaseModel):
    team_id: str
    objectives: int
    aligned_share: float | None
    check_ins_14d: int
    last_check_in_at: AwareDatetime | None
    stale_key_results: int
    lagging_key_results: int
    at_risk_key_results: int


class Engagement(BaseModel):
    cycle: str
    as_of: AwareDatetime
    items: list[TeamStats]


class EventEnvelope(BaseModel):
    """The public event envelope (contract section 4)."""

    id: str
    type: str = Field(examples=[event_type_of(KeyResult.CheckedIn)])
    source: str
    subject: str
    time: AwareDatetime
    position: int
    aggregate_type: str
    aggregate_id: str
    aggregate_version: int
    actor: str
    data: dict[str, Any]


class EventPage(BaseModel):
    items: list[EventEnvelope]
    next_after: int = Field(description="Pass as `after` for the next page")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


class Health(BaseModel):
    status: str
    checks: dict[str, Any] = Field(default_factory=dict)


# -- integrity chain (contract section 7) ---------------------------------------------------
HASH_FIELD = Field(pattern="^[0-9a-f]{64}$", description="SHA-256, lowercase hex",
                   examples=["0" * 64])


class ChainSeal(BaseModel):
    """The chain hash of the event at `position`."""

    position: int
    hash: Annotated[str, HASH_FIELD]


class ChainHead(ChainSeal):
    """The last sealed event, and the last stored one (their difference is the sealing lag)."""

    log_head: int
