"""A small organisation built through the application, shared by domain tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.application import OkrApplication


@dataclass
class Org:
    app: OkrApplication
    team: UUID
    person: UUID
    cycle: str
    other_cycle: str
    objective: UUID
    child: UUID
    other_objective: UUID
    key_result: UUID

    def owner(self, kind: str = "team") -> dict[str, str]:
        return {"type": kind, "id": str(self.team if kind == "team" else self.person)}

    def log_length(self) -> int:
        return self.app.recorder.max_notification_id() or 0


def build_org(app: OkrApplication, suffix: str = "") -> Org:
    """A team, a person, two cycles (keys end with `suffix`), three objectives, one KR."""
    q4, q1 = f"2026-Q4{suffix}", f"2027-Q1{suffix}"
    team = UUID(app.create_team(name="Eng", parent_id=None, actor="admin").id)
    person = UUID(app.register_person(name="Ann", email="ann@ex.io", team_id=team,
                                      actor="admin").id)
    app.create_cycle(key=q4, starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31),
                     actor="admin")
    app.create_cycle(key=q1, starts_on=date(2027, 1, 1), ends_on=date(2027, 3, 31),
                     actor="admin")
    owner = {"type": "team", "id": str(team)}
    objective = UUID(app.create_objective(cycle=q4, title="Grow", description=None,
                                          owner=owner, parent_id=None, actor="admin").id)
    child = UUID(app.create_objective(cycle=q4, title="Sub", description=None,
                                      owner=owner, parent_id=objective, actor="admin").id)
    other = UUID(app.create_objective(cycle=q1, title="Next", description=None,
                                      owner=owner, parent_id=None, actor="admin").id)
    kr = UUID(app.add_key_result(objective, title="Revenue", kind="numeric", start=0,
                                 target=100, actor="admin").id)
    return Org(app, team, person, q4, q1, objective, child, other, kr)
