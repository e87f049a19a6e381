"""Reports of a `check` run: table (terminal), json, sarif (code scanning), markdown; and writing them safely."""

from metacompress_core.report.io import FORMATS, render, write_atomic
from metacompress_core.report.json_report import SCHEMA, render_json
from metacompress_core.report.markdown import render_markdown
from metacompress_core.report.sarif import LEVELS, render_sarif
from metacompress_core.report.summary import ModelInfo, RunSummary, summarise
from metacompress_core.report.table import render_table

__all__ = [
    "FORMATS",
    "LEVELS",
    "SCHEMA",
    "ModelInfo",
    "RunSummary",
    "render",
    "render_json",
    "render_markdown",
    "render_sarif",
    "render_table",
    "summarise",
    "write_atomic",
]
