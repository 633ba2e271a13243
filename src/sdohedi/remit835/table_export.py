"""Write the 835 tables (:mod:`sdohedi.remit835.tables`) of many files as Parquet or JSON Lines
(:mod:`sdohedi.table_files`: one output per table, a ``file`` column, atomic, 0600)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..models.remit import finding_text
from ..table_files import TableFormatError, write_table_files
from .export import ExportError
from .tables import NAMES, finding_problem, iter_835_tables


def write_tables(files: Iterable[Path], out: Path, report: Callable[[str], None]) -> tuple[int, int, int, dict[str, int]]:
    """Read every file into the tables and write them next to ``out``. Returns (transaction sets,
    findings, files that failed, rows per table). Findings and errors go to ``report``, with the
    file name and where in it, never a value."""
    try:
        findings, failures, rows = write_table_files(files, out, NAMES, iter_835_tables, _finding_text, report)
    except TableFormatError as exc:
        raise ExportError(str(exc)) from None
    return rows["payments"], findings, failures, rows



def _finding_text(f: dict[str, Any]) -> str:
    """A row of the findings table, printed as ``remit`` prints every finding (``finding_text``)."""
    return finding_text(finding_problem(f))
