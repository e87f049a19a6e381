"""Scope analysis for renaming: which declaration every identifier occurrence refers to.

`analyze(code)` resolves every `identifier` node of a unit to a `Binding` (a declaration and all of its
uses), to a free name (a field, global, builtin, function: something declared outside the unit), or to
nothing (a member name, label, keyword-argument name...). Whatever the analysis cannot see through (a
context it does not know, a macro, reflection) makes the names involved unsafe: renaming only ever touches
bindings whose every occurrence is understood.

`model` holds what the analysis finds (bindings, free names, the analysis of a unit) and the builder and tree
walks the analysers share; `c`, `java` and `python` are one analyser per language.
"""

from __future__ import annotations

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.analysis.bindings import c, java, python
from metacompress_core.transforms.analysis.bindings.model import Analysis, Binding, Free

__all__ = ["Analysis", "Binding", "Free", "analyze"]


def analyze(code: Code) -> Analysis:
    """The scope analysis of a unit (or a whole file) in any supported language."""
    if code.has_errors():
        return Analysis(code, [], [], {}, "the code does not parse cleanly")
    analyser = {"java": java.analyze, "c": c.analyze, "python": python.analyze}[code.language.name]
    return analyser(code)
