"""report.md: the evaluation's tables in Markdown, shaped like the paper's."""

from __future__ import annotations

from metacompress_core.evaluation.tables import Table, all_tables, reliability_table, roles


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table_markdown(table: Table, level: int = 2) -> list[str]:
    lines = [f"{'#' * level} {table.title}", ""]
    if table.rows:
        lines.append("| " + " | ".join(_cell(h) for h in table.header) + " |")
        lines.append("|" + "---|" * len(table.header))
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
        lines.append("")
    if table.note:
        lines += [table.note, ""]
    return lines


def render_markdown(results: dict) -> str:
    lines = ["# MetaCompress evaluation", ""]
    for table in all_tables(results):
        lines += table_markdown(table)
    lines += ["## Reliability diagrams (as tables)", ""]
    for role in roles(results):
        lines += table_markdown(reliability_table(results, role), level=3)
    return "\n".join(lines).rstrip() + "\n"
