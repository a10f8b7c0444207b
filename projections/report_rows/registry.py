"""Every report, by name."""

from __future__ import annotations

from projections.report_rows.alignment import ALIGNMENT_REPORT
from projections.report_rows.audit import AUDIT_REPORT
from projections.report_rows.base import ReportSpec
from projections.report_rows.changes import CHANGES_REPORT
from projections.report_rows.history import HISTORY_REPORT

REPORTS: dict[str, ReportSpec] = {
    r.name: r for r in (ALIGNMENT_REPORT, CHANGES_REPORT, AUDIT_REPORT, HISTORY_REPORT)
}
