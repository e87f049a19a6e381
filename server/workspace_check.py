"""`metacompress.checkWorkspace`: check every source file of the workspace from disk, without opening it.

Only files of languages that have models (configured or embedded) are read; the others are counted and skipped
with one line per language. There is no cap on the number of files. Each file is one job of the checks' worker
process, taken in turn with the open documents' checks (every waiting document goes before the next file), and its
diagnostics are published under the file's URI and kept (the client never opened the file, so it never closes
it); a file the user opens is checked as a document from then on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from metacompress_core.check import model_pair
from metacompress_core.code import detect_language
from metacompress_core.code.files import source_files
from metacompress_core.engine import Finding
from metacompress_core.errors import MetaCompressError
from metacompress_server.presenters import diagnostic
from metacompress_server.worker import Job, Stopped

if TYPE_CHECKING:
    from metacompress_server.language_server import MetaCompressServer

log = logging.getLogger("metacompress.server")

CHECK_FOLDER = "metacompress.checkFolder"  # not checkWorkspace: that is the VS Code extension's own command


@dataclass
class WorkspaceReport:
    files: int = 0  # files checked
    with_findings: int = 0  # of which with at least one diagnostic
    skipped: dict[str, list[str]] = field(default_factory=dict)  # reason -> files
    errors: list[str] = field(default_factory=list)  # "file: why" for files that could not be checked

    def lines(self) -> list[str]:
        return [f"skipped {len(files)} file(s): {why}" for why, files in self.skipped.items()] + self.errors

    def as_json(self) -> dict:
        return {
            "files": self.files,
            "withFindings": self.with_findings,
            "skipped": {why: len(files) for why, files in self.skipped.items()},
            "errors": self.errors,
        }


def plan(ls: MetaCompressServer, folder: Path) -> tuple[list[tuple[Path, str]], WorkspaceReport]:
    """The files to check (with their language) and those skipped, by why; nothing is read yet."""
    report = WorkspaceReport()
    todo: list[tuple[Path, str]] = []
    for file in source_files([folder]):
        try:
            language = detect_language(str(file)).name
            model_pair(language, ls.config.settings_for(file), None, None, None)
        except MetaCompressError as e:
            why = f"no models for {language}" if "models" in str(e) else str(e)
            report.skipped.setdefault(why, []).append(str(file))
            continue
        todo.append((file, language))
    return todo, report


async def _check_file(ls: MetaCompressServer, path: Path) -> tuple[str, list[Finding]]:
    """One file from disk -> its text and findings, as one job of the worker process."""
    job = Job(ls.next_job_id(), str(path), ls.config.settings_for(path), skip=frozenset(ls.state.ignored))
    text, findings, errors = "", [], []

    def collect(kind: str, payload) -> None:
        nonlocal text
        if kind == "text":
            text = payload
        elif kind == "finding":
            findings.append(payload)
        elif kind == "error":
            errors.append(payload)

    await ls.worker.run(job, collect)
    if errors:
        raise MetaCompressError(errors[0])
    return text, findings


async def check_workspace(ls: MetaCompressServer, folder: Path) -> WorkspaceReport:
    todo, report = plan(ls, folder)
    for line in report.lines():
        log.info("workspace check: %s", line)
    codec = ls.workspace.position_codec
    for path, _language in todo:
        if ls.state.closing:
            break
        uri = path.as_uri()
        if ls.document(uri) is not None:
            continue  # open: checked as a document
        checked: list[tuple[str, list[Finding]]] = []

        async def one(path: Path = path, checked: list = checked) -> None:
            checked.append(await _check_file(ls, path))

        try:
            await ls.scheduler.in_turn(one)
        except (MetaCompressError, Stopped) as e:
            report.errors.append(f"{path}: {e}")
            continue
        if ls.document(uri) is not None or not checked:
            continue  # opened meanwhile: its own check publishes
        text, findings = checked[0]
        lines = text.splitlines(keepends=True)
        diagnostics = [
            d for f in findings if (d := diagnostic(f, lines, codec, ls.config.severity)) is not None
        ]
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))
        report.files += 1
        report.with_findings += bool(diagnostics)
    log.info("workspace check: %d file(s) checked, %d with findings", report.files, report.with_findings)
    return report
