"""``da-report``: turn logged runs into comparison tables."""

from da.report.collect import collect_runs
from da.report.tables import markdown_tables, summarise

__all__ = ["collect_runs", "markdown_tables", "summarise"]
