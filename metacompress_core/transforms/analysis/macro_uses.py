"""Where a C unit uses macros, and what the preprocessor may do there.

tree-sitter parses a macro invocation as what it looks like: `M(2);` is a call, `L_top` a name. The
transforms ask this module what such a use may really be, from the unit's `MacroEnv` (the macros of its
file and project headers, see metacompress_core/code/macros.py, plus the unit's own `#define`s):

- resolved: the name is a visible macro, whose body tells what names it reads, whether it jumps, and
  whether it is safe as a statement (no `;` or braces of its own);
- unresolved: a call or a bare statement whose name looks like a macro (upper case: `CHECK(x);`,
  `CHECK_CELL;`) but that no visible `#define` (nor function declaration) explains. Anything may hide there:
  transforms that would move code around it, or rename a name it could read, decline and count why.
- plain: everything else (a lower-case name with no visible `#define` is taken for a function, a variable
  or a constant, as C conventions have it).
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

import tree_sitter

from metacompress_core.code.macros import Macro, MacroEnv
from metacompress_core.code.parsing import Code
from metacompress_core.transforms.base import Declined

Node = tree_sitter.Node
MACRO_LIKE = re.compile(r"[A-Z_][A-Z0-9_]*\Z")
_EMPTY = MacroEnv()
_ENVS: weakref.WeakKeyDictionary[Code, MacroEnv] = weakref.WeakKeyDictionary()  # a cache, per parsed code
# The decline reasons, for TransformStats.declined (stable strings: they are counted and reported).
UNRESOLVED_IN_SCOPE = "an unresolved macro is used where the name is visible"
UNRESOLVED_AFTER = "an unresolved macro after the statements may read what they declare"
STATEMENT_MACRO_BRANCH = "a statement-like macro as an unbraced if/else branch"
UNRESOLVED_BRANCH = "an unresolved macro as an unbraced if/else branch"
MACRO_MAY_JUMP = "a macro in the body may jump (break/continue)"
NON_ATOMIC_OPERAND = "an operand is a macro whose expansion is not one operand"


@dataclass(frozen=True)
class Use:
    node: Node  # the call_expression, or the identifier of an object-like use
    name: str
    macro: Macro | None  # None: unresolved

    @property
    def resolved(self) -> bool:
        return self.macro is not None


def env_of(code: Code) -> MacroEnv:
    """The unit's macro environment: its file's (when known) and its own `#define`s."""
    if code.language.name != "c":
        return _EMPTY
    env = _ENVS.get(code)
    if env is None:
        env = _ENVS[code] = (code.macros or _EMPTY).merged(code.text)
    return env


def looks_like_macro(env: MacroEnv, name: str) -> bool:
    return bool(MACRO_LIKE.match(name)) and name not in env.functions


def uses(code: Code, node: Node | None = None, env: MacroEnv | None = None) -> list[Use]:
    """Every macro use below `node` (default: the whole code), resolved or not, in document order."""
    if code.language.name != "c":
        return []
    env = env if env is not None else env_of(code)
    out: list[Use] = []
    for n in code.walk(node):
        if n.type == "call_expression":
            callee = n.child_by_field_name("function")
            if callee is None or callee.type != "identifier":
                continue
            name = code.node_text(callee)
            macro = env.macros.get(name)
            if macro is not None:
                out.append(Use(n, name, macro))
            elif looks_like_macro(env, name):
                out.append(Use(n, name, None))
        elif n.type == "identifier":
            parent = n.parent
            if (
                parent is not None
                and parent.type == "call_expression"
                and parent.child_by_field_name("function") == n
            ):
                continue
            name = code.node_text(n)
            macro = env.macros.get(name)
            if macro is not None and macro.params is None:
                out.append(Use(n, name, macro))
            elif (
                macro is None
                and parent is not None
                and parent.type == "expression_statement"
                and looks_like_macro(env, name)
            ):
                out.append(Use(n, name, None))  # `CHECK_CELL;`: a statement that is one macro name
    return out


def statement_use(code: Code, stmt: Node, env: MacroEnv | None = None) -> Use | None:
    """The macro invoked by `stmt` when the statement is one macro invocation (`M(x);`, `M;`)."""
    if stmt.type != "expression_statement" or stmt.named_child_count != 1:
        return None
    inner = stmt.named_children[0]
    if inner.type not in ("call_expression", "identifier"):
        return None
    found = [u for u in uses(code, inner, env) if u.node == inner]
    return found[0] if found else None


def statement_kind(code: Code, stmt: Node, env: MacroEnv | None = None) -> str:
    """ "plain" (no macro, or a macro that expands to an expression), "statement" (a macro that brings its
    own `;`, braces or if), or "unresolved"."""
    env = env if env is not None else env_of(code)
    use = statement_use(code, stmt, env)
    if use is None:
        return "plain"
    if use.macro is None:
        return "unresolved"
    return "statement" if env.statement_kind(use.name) == "statement" else "plain"


def words_read(code: Code, node: Node, env: MacroEnv | None = None) -> tuple[set[str], bool]:
    """The names the macros used below `node` may refer to (through their bodies and arguments), and
    whether an unresolved one is among them (then anything may be read)."""
    env = env if env is not None else env_of(code)
    words: set[str] = set()
    unresolved = False
    start, end = code.span(node)
    if any(start <= m.start < end for m in code.masked):
        unresolved = True  # a macro use read masked: it may read any name
    for use in uses(code, node, env):
        if use.macro is None:
            unresolved = True
        else:
            words |= env.expansion_words(use.name)
    return words, unresolved


def may_jump(code: Code, node: Node, env: MacroEnv | None = None) -> bool:
    """True when a macro used below `node` may expand to a jump: a resolved one whose body jumps, or an
    unresolved call or statement."""
    env = env if env is not None else env_of(code)
    start, end = code.span(node)
    if any(start <= m.start < end for m in code.masked):
        return True  # a macro use read masked: anything may hide there
    return any(u.macro is None or env.jumps(u.name) for u in uses(code, node, env))


def non_atomic(code: Code, node: Node, env: MacroEnv | None = None) -> bool:
    """True when `node` is a resolved macro use whose expansion is not one operand (`#define N a + 1`), so
    operators around it would bind differently than the tree shows."""
    if code.language.name != "c":
        return False
    env = env if env is not None else env_of(code)
    if not env.macros:
        return False
    name_node = node
    if node.type == "call_expression":
        name_node = node.child_by_field_name("function")
    if name_node is None or name_node.type != "identifier":
        return False
    macro = env.macros.get(code.node_text(name_node))
    if macro is None:
        return False
    if node.type == "identifier" and macro.params is not None:
        return False
    return not macro.atomic


def declined(reason: str) -> Declined:
    return Declined((), f"declined: {reason}", reason)
