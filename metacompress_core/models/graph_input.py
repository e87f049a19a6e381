"""GraphCodeBERT's input: code tokens, data-flow nodes, and the graph-guided attention mask.

One sequence is `<s> code tokens </s> node node ... <pad>...`. Code tokens get positions 2, 3, ...; data-flow
nodes get position 0 and the `<unk>` id (their embedding is later replaced by the mean of the embeddings of the
code tokens they sit on); padding gets position 1. The attention mask lets code tokens see code tokens, `<s>` and
`</s>` see everything, a node see its own code tokens (and they it) and the nodes its value comes from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from metacompress_core.models.dataflow import DataFlow


@dataclass(frozen=True)
class GraphSpec:
    code_length: int = 384
    data_flow_length: int = 128
    reserved_tokens: int = 3  # code tokens are cut to total - reserved - min(nodes, data_flow_length)
    bos: int = 0
    eos: int = 2
    pad: int = 1
    unk: int = 3

    @property
    def total_length(self) -> int:
        return self.code_length + self.data_flow_length


@dataclass(frozen=True)
class GraphInput:
    ids: tuple[int, ...]  # without padding
    positions: tuple[int, ...]
    node_start: int  # index of the first data-flow node (= number of code tokens + 2)
    links: tuple[tuple[int, int], ...]  # per node: the [start, end) code-token range it sits on
    parents: tuple[tuple[int, ...], ...]  # per node: indices (among nodes) of the nodes it comes from
    padded_length: int  # the length the model saw it padded to

    @property
    def needs_padding(self) -> bool:
        """True when some node can attend to nothing: its attention is then spread over the whole padded
        sequence, padding included, so the result depends on the padded length and the input must keep it."""
        n = self.node_start
        return any(
            not (a < b and b < n) and not p for (a, b), p in zip(self.links, self.parents, strict=True)
        )

    @property
    def batch_length(self) -> int:
        return self.padded_length if self.needs_padding else len(self.ids)


def build_graph_input(flow: DataFlow, encode: Callable[[str], list[int]], spec: GraphSpec) -> GraphInput:
    pieces = [encode(token) for token in flow.tokens]
    spans, end = [], 0
    for piece in pieces:
        spans.append((end, end + len(piece)))
        end += len(piece)
    code = [i for piece in pieces for i in piece]
    total = spec.total_length
    nodes = list(flow.edges)
    code = code[: total - spec.reserved_tokens - min(len(nodes), spec.data_flow_length)]
    ids = [spec.bos, *code, spec.eos]
    positions = [i + spec.pad + 1 for i in range(len(ids))]
    nodes = nodes[: total - len(ids)]
    node_start = len(ids)
    ids += [spec.unk] * len(nodes)
    positions += [0] * len(nodes)
    slot = {e.token: j for j, e in enumerate(nodes)}  # a token's last entry stands for it
    parents = tuple(tuple(slot[p] for p in e.parents if p in slot) for e in nodes)
    links = tuple((spans[e.token][0] + 1, spans[e.token][1] + 1) for e in nodes)
    return GraphInput(tuple(ids), tuple(positions), node_start, links, parents, total)


def attention_mask(item: GraphInput, length: int, specials: Sequence[int]) -> np.ndarray:
    """The boolean [length, length] mask of one input padded to `length` (>= its own length)."""
    mask = np.zeros((length, length), dtype=bool)
    n = item.node_start
    used = len(item.ids)
    mask[:n, :n] = True
    for row, token in enumerate(item.ids):
        if token in specials:
            mask[row, :used] = True
    for j, (a, b) in enumerate(item.links):
        if a < n and b < n:
            mask[n + j, a:b] = True
            mask[a:b, n + j] = True
    for j, parents in enumerate(item.parents):
        for p in parents:
            mask[n + j, n + p] = True
    return mask


def collate(items: Sequence[GraphInput], spec: GraphSpec) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(ids, positions, mask) tensors for a batch, padded to the longest `batch_length` in it."""
    length = max(item.batch_length for item in items)
    ids = np.full((len(items), length), spec.pad, dtype=np.int64)
    positions = np.full((len(items), length), spec.pad, dtype=np.int64)
    masks = np.zeros((len(items), length, length), dtype=bool)
    specials = (spec.bos, spec.eos)
    for r, item in enumerate(items):
        ids[r, : len(item.ids)] = item.ids
        positions[r, : len(item.positions)] = item.positions
        masks[r] = attention_mask(item, length, specials)
    return torch.from_numpy(ids), torch.from_numpy(positions), torch.from_numpy(masks)
