"""Every read the API makes, in one place. Connections come from the caller's pool."""

from __future__ import annotations

from projections.carryover import carry_overs
from projections.changelog import attributed_changes
from projections.engagement import engagement, team_health
from projections.listing import audit, cycles, people, teams
from projections.outline import children_of, cycle_info, tree_page
from projections.reports import changes, history, lineage
from projections.runner import wait_for_position
from projections.timetravel import check_ins, key_result_detail, objective_detail
from projections.tree import alignment_tree

__all__ = [
    "alignment_tree",
    "attributed_changes",
    "audit",
    "carry_overs",
    "changes",
    "check_ins",
    "children_of",
    "cycle_info",
    "cycles",
    "engagement",
    "history",
    "key_result_detail",
    "lineage",
    "objective_detail",
    "people",
    "team_health",
    "teams",
    "tree_page",
    "wait_for_position",
]
