"""The application service: one use case per command of the contract."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.cycle import Cycle
from domain.errors import DuplicateEntity, InvalidInput, ObjectiveArchived
from domain.key_result import KeyResult
from domain.objective import Objective
from domain.organisation import Person, Team
from domain.progress import weighted_mean
from domain.results import CommandResult
from domain.service_base import ServiceBase, command
from domain.values import Owner, check_cycle_key, check_unit_interval

MAX_ACTIVE_OBJECTIVES_PER_OWNER = 3
KR_COUNT_RANGE = (3, 5)


class OkrApplication(ServiceBase):
    """Use cases of okr-ledger. Each loads, decides, saves and returns plain data."""

    name = "OkrLedger"  # stored events live in table okrledger_events

    # -- organisation ---------------------------------------------------------------
    @command
    def create_team(self, *, name: str, parent_id: UUID | None, actor: str) -> CommandResult:
        if parent_id is not None:
            self.load(Team, parent_id, in_body=True)
        return self.commit(Team.found(name, parent_id, actor))

    @command
    def register_person(
        self, *, name: str, email: str, team_id: UUID | None, actor: str
    ) -> CommandResult:
        if team_id is not None:
            self.load(Team, team_id, in_body=True)
        return self.commit(Person.register(name, email, team_id, actor))

    @command
    def move_person(
        self, person_id: UUID, *, team_id: UUID, actor: str, reason: str | None = None,
        if_match: int | None = None,
    ) -> CommandResult:
        person = self.load_for_change(Person, person_id, if_match)
        self.load(Team, team_id, in_body=True)
        person.move_to_team(team_id, actor, reason)
        return self.commit(person)

    # -- cycles -----------------------------------------------------------------------
    @command
    def create_cycle(
        self, *, key: str, starts_on: date, ends_on: date, actor: str
    ) -> CommandResult:
        check_cycle_key(key)
        if self.exists(Cycle.create_id(key)):
            raise DuplicateEntity(f"cycle {key} already exists")
        return self.commit(Cycle.open(key, starts_on, ends_on, actor))

    def cycle(self, key: str, *, in_body: bool = False) -> Cycle:
        check_cycle_key(key)
        return self.load(Cycle, Cycle.create_id(key), in_body=in_body)

    @command
    def close_cycle(self, key: str, *, actor: str, if_match: int | None = None) -> CommandResult:
        """Close the cycle and grade every KR (score = progress unless graded by hand)."""
        cycle = self.load_for_change(Cycle, Cycle.create_id(check_cycle_key(key)), if_match)
        cycle.close(actor)
        changed: list[Objective | KeyResult] = []
        for objective_id in cycle.plan:
            objective = self.load(Objective, UUID(objective_id))
            key_results = [self.load(KeyResult, kr_id) for kr_id in objective.key_result_ids]
            for key_result in key_results:
                key_result.close(actor)
            objective.close(_objective_score(key_results), actor)
            changed += [*key_results, objective]
        return self.commit(cycle, *changed, graded_key_results=len(changed) - len(cycle.plan))

    # -- objectives -------------------------------------------------------------------
    @command
    def create_objective(
        self, *, cycle: str, title: str, description: str | None, owner: dict[str, Any],
        parent_id: UUID | None, actor: str, carried_from: UUID | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        the_cycle = self.cycle(cycle, in_body=True)
        owner_ref = self.owner(owner)
        if parent_id is not None:
            self.load(Objective, parent_id, in_body=True)
        objective = Objective.draft(
            cycle_key=the_cycle.key, title=title, description=description, owner=owner_ref,
            parent_id=parent_id, carried_from=carried_from, actor=actor, reason=reason,
        )
        the_cycle.plan_objective(objective.id, parent_id, owner_ref, actor)
        return self.commit(objective, the_cycle, warnings=_owner_warnings(the_cycle, owner_ref))

    @command
    def edit_objective(
        self, objective_id: UUID, *, title: str | None = None, description: str | None = None,
        reason: str | None = None, actor: str, if_match: int | None = None,
    ) -> CommandResult:
        objective = self.load_for_change(Objective, objective_id, if_match)
        objective.edit(title=title, description=description, actor=actor, reason=reason)
        return self.commit(objective)

    @command
    def reassign_objective(
        self, objective_id: UUID, *, owner: dict[str, Any], reason: str | None = None,
        actor: str, if_match: int | None = None,
    ) -> CommandResult:
        objective = self.load_for_change(Objective, objective_id, if_match)
        owner_ref = self.owner(owner)
        the_cycle = self.cycle(objective.cycle_key)
        objective.reassign(owner_ref, actor, reason)
        the_cycle.reassign(objective.id, owner_ref, actor)
        return self.commit(objective, the_cycle, warnings=_owner_warnings(the_cycle, owner_ref))

    @command
    def realign_objective(
        self, objective_id: UUID, *, parent_id: UUID | None, reason: str | None = None,
        actor: str, if_match: int | None = None,
    ) -> CommandResult:
        """Move under a new parent; the cycle's plan refuses loops and foreign parents."""
        objective = self.load_for_change(Objective, objective_id, if_match)
        if parent_id is not None:
            self.load(Objective, parent_id, in_body=True)
        the_cycle = self.cycle(objective.cycle_key)
        objective.realign(parent_id, actor, reason)
        the_cycle.realign(objective.id, parent_id, actor)
        return self.commit(objective, the_cycle)

    @command
    def archive_objective(
        self, objective_id: UUID, *, reason: str | None = None, actor: str,
        if_match: int | None = None,
    ) -> CommandResult:
        objective = self.load_for_change(Objective, objective_id, if_match)
        the_cycle = self.cycle(objective.cycle_key)
        objective.archive(actor, reason)
        the_cycle.retire(objective.id, actor)
        return self.commit(objective, the_cycle)

    def carry_over(
        self, objective_id: UUID, *, cycle: str, reason: str | None = None, actor: str,
        if_match: int | None = None,
    ) -> CommandResult:
        """Continue an objective in another cycle: a new objective with `carried_from`.

        `if_match` names the version of the source objective the caller saw.
        """
        source = self.load_for_change(Objective, objective_id, if_match)
        if source.cycle_key == cycle:
            raise InvalidInput("carry over into a different cycle", field="cycle")
        return self.create_objective(
            cycle=cycle, title=source.title, description=source.description,
            owner=source.owner, parent_id=None, actor=actor, carried_from=source.id,
            reason=reason,
        )

    # -- key results ------------------------------------------------------------------
    @command
    def add_key_result(
        self, objective_id: UUID, *, title: str, kind: str, start: float | None = None,
        target: float | None = None, unit: str | None = None, weight: float | None = None,
        owner: dict[str, Any] | None = None, actor: str, if_match: int | None = None,
    ) -> CommandResult:
        objective = self.load_for_change(Objective, objective_id, if_match)
        key_result = KeyResult.define(
            objective_id=objective.id, cycle_key=objective.cycle_key, title=title, kind=kind,
            start=start, target=target, unit=unit, weight=weight,
            owner=None if owner is None else self.owner(owner), actor=actor,
        )
        objective.add_key_result(key_result.id, actor)
        return self.commit(key_result, objective, warnings=_kr_count_warnings(objective))

    @command
    def edit_key_result(
        self, key_result_id: UUID, *, title: str | None = None, target: float | None = None,
        weight: float | None = None, reason: str | None = None, actor: str,
        if_match: int | None = None,
    ) -> CommandResult:
        key_result, objective = self.key_result_for_change(key_result_id, if_match)
        key_result.edit(title=title, target=target, weight=weight, actor=actor, reason=reason)
        return self.commit(key_result, decided_on=[objective])

    @command
    def reassign_key_result(
        self, key_result_id: UUID, *, owner: dict[str, Any] | None, reason: str | None = None,
        actor: str, if_match: int | None = None,
    ) -> CommandResult:
        key_result, objective = self.key_result_for_change(key_result_id, if_match)
        key_result.reassign(None if owner is None else self.owner(owner), actor, reason)
        return self.commit(key_result, decided_on=[objective])

    @command
    def check_in(
        self, key_result_id: UUID, *, value: float, confidence: float | None = None,
        note: str | None = None, effective_at: datetime | None = None, actor: str,
        channel: str, if_match: int | None = None,
    ) -> CommandResult:
        """Record a value; `channel` names the edge it came through (domain.values.CHANNELS):
        required, so that a new edge cannot record its check-ins as another's."""
        key_result, objective = self.key_result_for_change(key_result_id, if_match)
        key_result.check_in(
            value=value, confidence=confidence, note=note, effective_at=effective_at, actor=actor,
            channel=channel,
        )
        return self.commit(key_result, decided_on=[objective], progress=key_result.progress)

    @command
    def grade_key_result(
        self, key_result_id: UUID, *, score: float, note: str | None = None, actor: str,
        if_match: int | None = None,
    ) -> CommandResult:
        key_result, objective = self.key_result_for_change(key_result_id, if_match)
        check_unit_interval(score, "score")
        key_result.grade(score, note, actor)
        return self.commit(key_result, decided_on=[objective])

    # -- helpers ------------------------------------------------------------------------
    def key_result_for_change(
        self, key_result_id: UUID, if_match: int | None
    ) -> tuple[KeyResult, Objective]:
        """A key result to change, and its objective: an archived objective's key results
        refuse every change (409).

        The objective is read, not changed: the save checks that it is still at the version
        read, so a change racing the archive is decided again and refused.
        """
        key_result = self.load_for_change(KeyResult, key_result_id, if_match)
        objective = self.load(Objective, key_result.objective_id)
        if objective.status == "archived":
            raise ObjectiveArchived(
                f"key result {key_result_id} belongs to archived objective {objective.id}")
        return key_result, objective

    def require_person(self, person_id: UUID) -> None:
        """Refuse (422) a body that names a person who does not exist."""
        self.load(Person, person_id, in_body=True)

    def owner(self, data: dict[str, Any]) -> dict[str, str]:
        """Validate an owner reference: the team or person must exist (else 422)."""
        owner = Owner.from_dict(data)
        try:
            entity_id = UUID(owner.id)
        except ValueError:
            raise InvalidInput("owner.id must be a UUID", field="owner.id") from None
        self.load(Team if owner.type == "team" else Person, entity_id, in_body=True)
        return owner.as_dict()


def _objective_score(key_results: list[KeyResult]) -> float:
    return weighted_mean((kr.score or 0.0, kr.weight) for kr in key_results)


def _owner_warnings(cycle: Cycle, owner: dict[str, str]) -> list[str]:
    count = cycle.active_objectives_of(owner)
    if count > MAX_ACTIVE_OBJECTIVES_PER_OWNER:
        return [
            f"{owner['type']} {owner['id']} has {count} active objectives in {cycle.key}; "
            f"more than {MAX_ACTIVE_OBJECTIVES_PER_OWNER} dilutes focus"
        ]
    return []


def _kr_count_warnings(objective: Objective) -> list[str]:
    count = len(objective.key_result_ids)
    low, high = KR_COUNT_RANGE
    if count < low or count > high:
        return [f"objective has {count} key results; {low} to {high} is the usual range"]
    return []
