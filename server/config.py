"""The server's settings: the `metacompress` section of workspace/configuration (or initializationOptions).

The section holds the keys of `[tool.metacompress]` (models per language, budget, thresholds, device, cache,
...; camelCase spellings such as `cacheDir` are accepted too) plus the editor's own:

    trigger   "onType" (default: check after each pause in typing) | "onSave"
    debounce  seconds of quiet before a check starts (default 0.5)
    idle      seconds without an edit or open before checks deepen, up to `max_budget` (default 5; server/deepen.py)
    severity  relation -> "error" | "warning" | "information" | "hint" | "off": how its strongest evidence is
              shown; weaker evidence is never shown above it; "off" hides it (docs/RELATIONS.md "Severity")
    diagnostics  "push" (default: publishDiagnostics) | "pull" (textDocument/diagnostic, LSP 3.17; read from
              initializationOptions only, since capabilities are fixed at initialize)

When the client gives none of the `[tool.metacompress]` keys, the settings file nearest the document is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types

from metacompress_core.config import Settings, find_settings_file, load_settings, settings_from_table
from metacompress_core.errors import MetaCompressError
from metacompress_core.relations import RELATIONS

SECTION = "metacompress"
TRIGGERS = ("onType", "onSave")
_SEVERITIES = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
    "off": None,
}
DEFAULT_SEVERITY: dict[str, str] = {r.name: r.severity or "off" for r in RELATIONS}
_SERVER_KEYS = {"trigger", "debounce", "idle", "severity", "diagnostics"}
DIAGNOSTIC_MODES = ("push", "pull")


@dataclass(frozen=True)
class ServerConfig:
    table: dict[str, Any] = field(default_factory=dict)  # the [tool.metacompress] keys the client gave
    trigger: str = "onType"
    diagnostics: str = "push"
    debounce: float = 0.5
    idle: float = 5.0
    severity: dict[str, types.DiagnosticSeverity | None] = field(
        default_factory=lambda: {k: _SEVERITIES[v] for k, v in DEFAULT_SEVERITY.items()}
    )
    root: Path | None = None  # the workspace folder: relative model paths are relative to it

    def settings_for(self, path: Path | None) -> Settings:
        """The engine settings for a document: the client's, else the nearest settings file's, else defaults."""
        if self.table:
            base = self.root or Path.cwd()
            # settings_from_table resolves relative paths against the parent of its `source`.
            return settings_from_table(self.table, base / "<client settings>")
        found = find_settings_file(path) if path is not None and path.exists() else None
        return load_settings(found) if found else Settings()


def snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()


def _snake_keys(value: Any, depth: int = 0) -> Any:
    # Model tables are keyed by language; relation names in `severity` keep their spelling.
    if isinstance(value, dict) and depth < 3:
        return {snake(k) if isinstance(k, str) else k: _snake_keys(v, depth + 1) for k, v in value.items()}
    return value


def server_config(raw: Any, root: Path | None = None) -> ServerConfig:
    """Parse a client's `metacompress` section; a MetaCompressError says what is wrong with it."""
    if raw is None:
        return ServerConfig(root=root)
    if not isinstance(raw, dict):
        raise MetaCompressError(f"the `{SECTION}` settings must be an object, got {type(raw).__name__}")
    if SECTION in raw and isinstance(raw[SECTION], dict):  # initializationOptions may nest the section
        raw = raw[SECTION]
    severity_raw = raw.get("severity", {})
    table = _snake_keys({k: v for k, v in raw.items() if k not in _SERVER_KEYS and v is not None})
    trigger = raw.get("trigger", "onType")
    if trigger not in TRIGGERS:
        raise MetaCompressError(f"`{SECTION}.trigger` must be one of {', '.join(TRIGGERS)}, not {trigger!r}")
    diagnostics = raw.get("diagnostics", "push")
    if diagnostics not in DIAGNOSTIC_MODES:
        raise MetaCompressError(
            f"`{SECTION}.diagnostics` must be one of {', '.join(DIAGNOSTIC_MODES)}, not {diagnostics!r}"
        )
    try:
        debounce = float(raw.get("debounce", 0.5))
    except (TypeError, ValueError):
        raise MetaCompressError(f"`{SECTION}.debounce` must be a number of seconds") from None
    if not 0 <= debounce <= 60:
        raise MetaCompressError(f"`{SECTION}.debounce` must lie in [0, 60] seconds, got {debounce}")
    try:
        idle = float(raw.get("idle", ServerConfig.idle))
    except (TypeError, ValueError):
        raise MetaCompressError(f"`{SECTION}.idle` must be a number of seconds") from None
    if not 0 <= idle <= 3600:
        raise MetaCompressError(f"`{SECTION}.idle` must lie in [0, 3600] seconds, got {idle}")
    if not isinstance(severity_raw, dict):
        raise MetaCompressError(f"`{SECTION}.severity` must map relation names to severities")
    severity = dict(DEFAULT_SEVERITY)
    for name, level in severity_raw.items():
        if name not in DEFAULT_SEVERITY:
            raise MetaCompressError(
                f"`{SECTION}.severity`: unknown relation {name!r}; known: {', '.join(DEFAULT_SEVERITY)}"
            )
        if str(level).lower() not in _SEVERITIES:
            raise MetaCompressError(
                f"`{SECTION}.severity.{name}` must be one of {', '.join(_SEVERITIES)}, not {level!r}"
            )
        severity[name] = str(level).lower()
    config = ServerConfig(
        table=table,
        trigger=trigger,
        diagnostics=diagnostics,
        debounce=debounce,
        idle=idle,
        severity={k: _SEVERITIES[v] for k, v in severity.items()},
        root=root,
    )
    if table:
        config.settings_for(None)  # refuse a bad table now, where the user sees it, not at the first check
    return config
