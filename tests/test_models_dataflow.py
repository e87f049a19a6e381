"""GraphCodeBERT-style data flow from the project's tree-sitter grammars, and the graph input built from it."""

from __future__ import annotations

import numpy as np

from metacompress_core.models.dataflow import extract_dataflow, remove_comments
from metacompress_core.models.graph_input import GraphSpec, attention_mask, build_graph_input


def flow_of(code: str, language: str = "java", rules: str = "java", keep_unlinked: bool = True):
    flow = extract_dataflow(code, language, rules, keep_unlinked)
    where = {}
    for e in flow.edges:
        where.setdefault(e.token, set()).update(e.parents)
    return flow, where


def positions(flow, name: str) -> list[int]:
    return [i for i, t in enumerate(flow.tokens) if t == name]


def test_java_uses_come_from_their_definitions():
    code = "int f(int a) {\n  int x = a + 1;\n  x = x * 2;\n  return x;\n}"
    flow, where = flow_of(code)
    a_decl, a_use = positions(flow, "a")
    x_decl, x_assign, x_read, x_ret = positions(flow, "x")
    assert where[a_use] == {a_decl}
    assert a_use in where[x_decl]  # x = a + 1: x comes from a (and from the literal 1)
    assert where[x_read] == {x_decl}  # the right side is read before x is redefined
    assert x_read in where[x_assign]
    assert where[x_ret] == {x_assign}


def test_java_branches_merge_and_loops_feed_back():
    code = (
        "int g(int n) {\n  int s = 0;\n  if (n > 0) { s = 1; } else { s = 2; }\n"
        "  while (n > 0) { s = s + n; n--; }\n  return s;\n}"
    )
    flow, where = flow_of(code)
    s = positions(flow, "s")  # decl, then-assign, else-assign, loop target, loop read, return
    s_decl, s_then, s_else, s_loop, s_read, s_ret = s
    # Both branches and the previous iteration; GraphCodeBERT's rules also let the state before the `if`
    # through (its `else` keyword counts as a path), and the model was trained on exactly that.
    assert where[s_read] == {s_decl, s_then, s_else, s_loop}
    assert where[s_ret] == {s_loop}
    n = positions(flow, "n")
    n_dec = n[-1]  # the n of `n--`
    assert n_dec in where[n[2]]  # `while (n > 0)` sees the decrement of the previous iteration


def test_unlinked_nodes_can_be_dropped():
    code = "void h(String s) { int unused; System.out.println(s); }"
    every, _ = flow_of(code, keep_unlinked=True)
    linked, _ = flow_of(code, keep_unlinked=False)
    assert {e.name for e in every.edges} >= {"String", "unused", "System", "println"}
    assert {e.name for e in linked.edges} == {"s"}


def test_c_rules_track_parameters_and_declarations_only():
    code = "static int f(int *a, int n) { int i; int s = 0; for (i = 0; i < n; i++) s += a[i]; return s; }"
    flow, where = flow_of(code, "c", "c-compressor")
    names = [flow.tokens[e.token] for e in flow.edges]
    assert "f" not in names  # the function's own name is not data
    n_param, n_use = positions(flow, "n")
    i_decl = positions(flow, "i")[0]
    assert where[n_use] == {n_param}
    assert where[positions(flow, "i")[2]] == {
        i_decl
    }  # `i < n` reads the declared i (assignments are skipped)
    assert positions(flow, "s")[0] not in where  # an initialised declaration sits in init_declarator: no node


def test_comments_are_removed_but_not_from_strings():
    code = 'int f() {\n  // note\n  char *s = "// not a comment"; /* gone */\n  return 0;\n}'
    out = remove_comments(code, "c")
    assert "note" not in out and "gone" not in out
    assert '"// not a comment"' in out
    assert "\n\n" not in out  # the emptied line is dropped
    one_line = " ".join(code.split())
    assert remove_comments(one_line, "c").rstrip().endswith("int f() {")  # `//` runs to the end


def test_graph_input_layout_and_mask():
    code = "int f(int a) { int x = a; return x; }"
    flow = extract_dataflow(code, "java", "java", keep_unlinked=False)
    vocab: dict[str, int] = {}

    def encode(token: str) -> list[int]:  # two pieces per leaf, so ranges are visible
        return [vocab.setdefault(token, 10 + len(vocab)), 5]

    spec = GraphSpec(code_length=40, data_flow_length=8, reserved_tokens=3)
    item = build_graph_input(flow, encode, spec)
    n = item.node_start
    assert item.ids[0] == spec.bos and item.ids[n - 1] == spec.eos
    assert n == 2 + 2 * len(flow.tokens)
    assert list(item.positions[:n]) == list(range(2, n + 2))
    assert set(item.ids[n:]) == {spec.unk} and set(item.positions[n:]) == {0}
    mask = attention_mask(item, spec.total_length, (spec.bos, spec.eos))
    assert mask[:n, :n].all()
    assert mask[0, : len(item.ids)].all() and not mask[0, len(item.ids) :].any()
    for j, (a, b) in enumerate(item.links):
        assert b - a == 2 and mask[n + j, a:b].all() and mask[a:b, n + j].all()
        for p in item.parents[j]:
            assert mask[n + j, n + p]
    assert not mask[len(item.ids) :].any()  # padding rows attend to nothing
    assert not item.needs_padding


def test_graph_input_truncation_budget():
    body = " ".join(f"int v{i} = v{i - 1};" for i in range(1, 60))
    flow = extract_dataflow("void f(int v0) { " + body + " }", "java", "java", keep_unlinked=False)
    spec = GraphSpec(code_length=64, data_flow_length=16, reserved_tokens=3)
    item = build_graph_input(flow, lambda t: [7], spec)
    # Code is cut to total - 3 - 16 = 61 tokens; with <s> and </s> that leaves 17 places, all taken by nodes.
    assert item.node_start == 63 and len(item.links) == 17
    assert len(item.ids) == spec.total_length
    # Nodes whose code tokens were cut away and that have no parent among the kept nodes see nothing.
    orphan = [j for j, (a, b) in enumerate(item.links) if b >= item.node_start and not item.parents[j]]
    assert item.needs_padding == bool(orphan)
    mask = attention_mask(item, spec.total_length, (spec.bos, spec.eos))
    for j in orphan:
        assert not mask[item.node_start + j].any()
    assert np.isin(item.ids, [0, 2, 3, 7]).all()
