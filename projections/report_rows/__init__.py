"""The rows of each downloadable report (contract section 7), by name: generators over the
read models that the format writers (CSV, XLSX, JSON) consume one row at a time."""

from projections.report_rows.base import REPORT_PARAMETERS, ReportParams, ReportSpec, Row
from projections.report_rows.registry import REPORTS

__all__ = ["REPORTS", "REPORT_PARAMETERS", "ReportParams", "ReportSpec", "Row"]
