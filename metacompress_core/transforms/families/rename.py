"""Scope-aware renaming of local variables and parameters (Java, C, Python).

Every occurrence of the chosen declaration changes and nothing else does. A new name is accepted only when,
after the rename, every identifier of the unit still refers to what it referred to before (the scope
analysis is run again on the result and compared): no capture, no shadowing, no collision.
"""

from __future__ import annotations

import builtins
import random
import re
from dataclasses import dataclass

import tree_sitter

from metacompress_core.code.parsing import Code, parse
from metacompress_core.transforms.analysis.bindings import Analysis, Binding, Free, analyze
from metacompress_core.transforms.analysis.macro_uses import UNRESOLVED_IN_SCOPE, declined, env_of
from metacompress_core.transforms.analysis.text import RESERVED, fresh_name
from metacompress_core.transforms.base import Declined, Rewrite, Site, Splice, splice

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Names a C local must not take even when the unit does not mention them: object-like macros and
# predefined names from the standard headers and GNU mode.
C_AVOID = frozenset(
    """errno stdin stdout stderr environ EOF NULL BUFSIZ FILENAME_MAX FOPEN_MAX TMP_MAX SEEK_SET SEEK_CUR
    SEEK_END EXIT_SUCCESS EXIT_FAILURE RAND_MAX CHAR_BIT INT_MAX INT_MIN SIZE_MAX assert offsetof va_start
    va_arg va_end va_copy setjmp longjmp min max likely unlikely bool true false complex imaginary I alignas
    alignof noreturn static_assert thread_local unix linux i386 signbit isnan isinf fpclassify HUGE_VAL
    INFINITY NAN""".split()
)
_PYTHON_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True, eq=False)
class Declared:
    """What a rename site carries: the binding, and the analysis of the code it was found in."""

    analysis: Analysis
    binding: Binding


def sites_for(code: Code, role: str) -> list[Site]:
    """One site per renameable declaration of `role` ("variable" or "parameter"), in document order."""
    analysis = analyze(code)
    sites = [Site(b.decl, Declared(analysis, b)) for b in analysis.renameable(role)]
    # bindings refused only because an unresolved macro may read them: sites that decline, and are counted
    sites += [
        Site(b.decl, declined(UNRESOLVED_IN_SCOPE))
        for b in analysis.bindings
        if b.role == role and analysis.why_not(b) == UNRESOLVED_IN_SCOPE
    ]
    return sorted(sites, key=lambda s: s.node.start_byte)


def _locate(code: Code, site: Site | tree_sitter.Node) -> tuple[Analysis, Binding | None]:
    if isinstance(site, Site) and isinstance(site.data, Declared) and site.data.analysis.code is code:
        return site.data.analysis, site.data.binding
    node = site.node if isinstance(site, Site) else site
    analysis = analyze(code)
    return analysis, analysis.binding_declared_at(node)


def name_allowed(analysis: Analysis, binding: Binding, new_name: str) -> bool:
    """Whether `new_name` is a legal, unreserved name that no other declaration in reach already uses."""
    lang = analysis.code.language.name
    if not _IDENTIFIER.match(new_name) or new_name == binding.name or new_name in RESERVED[lang]:
        return False
    if lang == "python" and (new_name in _PYTHON_BUILTINS or new_name.startswith("__")):
        return False
    if lang == "java" and new_name == "_":
        return False
    if lang == "c" and (new_name in C_AVOID or new_name.isupper() or re.match(r"_[A-Z_]", new_name)):
        return False
    if new_name in analysis.unsafe_names:
        return False
    if lang == "c" and new_name in env_of(analysis.code).body_words:
        return False  # a macro's name, or a name a macro reads: the expansion would see the renamed local
    return not any(b is not binding and b.name == new_name and b.overlaps(binding) for b in analysis.bindings)


def _same_meaning(old: Analysis, binding: Binding, new: Analysis, new_name: str) -> bool:
    """True when every identifier of the renamed code refers to what its counterpart did before."""
    if new.skip or len(old.occurrences) != len(new.occurrences):
        return False
    forward: dict[int, Binding] = {}
    backward: dict[int, Binding] = {}
    renamed = None
    for (_, before), (node, after) in zip(old.occurrences, new.occurrences, strict=True):
        if before is None or isinstance(before, Free):
            if before != after:
                return False
            continue
        if not isinstance(after, Binding):
            return False
        if (
            forward.setdefault(id(before), after) is not after
            or backward.setdefault(id(after), before) is not before
        ):
            return False
        if before is binding:
            renamed = after
            if new.code.node_text(node) != new_name:
                return False
    return renamed is not None and renamed.role == binding.role and new.why_not(renamed) is None


def rename(code: Code, declaration_site: Site | tree_sitter.Node, new_name: str) -> Rewrite | None:
    """Rename the variable or parameter declared at `declaration_site` to `new_name` (all its uses).

    None when the declaration may not be renamed or `new_name` would collide with, capture or shadow
    another name."""
    analysis, binding = _locate(code, declaration_site)
    if (
        binding is None
        or analysis.why_not(binding) is not None
        or not name_allowed(analysis, binding, new_name)
    ):
        return None
    splices = tuple(Splice(*code.span(n), new_name) for n in binding.occurrences)
    renamed = parse(splice(code.src, splices), code.language, unit=code.is_unit, macros=code.macros)
    if renamed.has_errors() or not _same_meaning(analysis, binding, analyze(renamed), new_name):
        return None
    return Rewrite(splices, f"renaming {binding.name} -> {new_name}")


def _rename_fresh(code: Code, site: Site, rng: random.Random) -> Rewrite | None:
    if isinstance(site.data, Declined):
        return site.data
    analysis, binding = _locate(code, site)
    if binding is None:
        return None
    taken = set(analysis.unsafe_names)
    if code.language.name == "c":
        taken |= C_AVOID
    if code.language.name == "python":
        taken |= _PYTHON_BUILTINS
    for _ in range(3):  # a fresh name is almost always accepted; a few more tries cover the rest
        new_name = fresh_name(code, rng, taken)
        rewrite = rename(code, Site(binding.decl, Declared(analysis, binding)), new_name)
        if rewrite is not None:
            return rewrite
        taken.add(new_name)
    return None


class RenameVariable:
    name = "rename-variable"
    languages = frozenset({"java", "c", "python"})
    description = "rename a local variable (all its uses) to a fresh natural name"

    def sites(self, code: Code) -> list[Site]:
        return sites_for(code, "variable")

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        return _rename_fresh(code, site, rng)


class RenameParameter:
    name = "rename-parameter"
    languages = frozenset({"java", "c", "python"})
    description = (
        "rename a parameter (all its uses) to a fresh natural name; Python: positional-only and */** only"
    )

    def sites(self, code: Code) -> list[Site]:
        return sites_for(code, "parameter")

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        return _rename_fresh(code, site, rng)


TRANSFORMS = (RenameVariable(), RenameParameter())
RENAMINGS = tuple(t.name for t in TRANSFORMS)  # what draws fresh names (searches rename through a NameSource)
