"""The siamese (bi-encoder) clone form: each function is encoded alone; a small head reads the two vectors.

A siamese folder is a stock `AutoModel` encoder saved with `save_pretrained` (config.json, model.safetensors,
tokenizer files) plus two small files:

- `siamese_head.safetensors`: the head's tensors;
- `metacompress.json` with `"input_form": "pair-siamese"` and a `"siamese"` object:
  `{"pooling": "mean" | "first", "head": "concat" | "cosine", "file": "siamese_head.safetensors"}`.

Encoding of one function: `[CLS] code [SEP]` with at most `max_length` tokens (code tokens cut from the end),
no token types; pooling `mean` averages the last layer's vectors over the real tokens (specials included,
padding excluded), `first` takes the [CLS] vector. With u, v the two functions' vectors:

- head `concat`: tensors `weight` [2, 4h] and `bias` [2];
  logits = (W·[u, v, |u−v|, u∘v] + W·[v, u, |u−v|, u∘v]) / 2 + b (averaged over both orders, so the score of
  (a, b) equals that of (b, a));
- head `cosine`: tensors `scale` [1] and `shift` [1]; logits = [0, scale · (cos(u, v) − shift)].

Index 1 is "clone" (the sidecar's `labels` say so). Since a function's vector does not depend on its partner, a
backend computes it once per distinct text and reuses it for every pair the text appears in.
"""

from __future__ import annotations

from pathlib import Path

import torch

from metacompress_core.errors import MetaCompressError
from metacompress_core.models.base import input_digest
from metacompress_core.models.batching import collate, unique_first

HEAD_FILE = "siamese_head.safetensors"
POOLINGS = ("mean", "first")
HEADS = ("concat", "cosine")


class SiameseHead(torch.nn.Module):
    def __init__(self, kind: str, hidden: int):
        super().__init__()
        if kind not in HEADS:
            raise MetaCompressError(f"siamese head must be one of {list(HEADS)}, got {kind!r}")
        self.kind = kind
        if kind == "concat":
            self.weight = torch.nn.Parameter(torch.empty(2, 4 * hidden))
            self.bias = torch.nn.Parameter(torch.zeros(2))
            torch.nn.init.normal_(self.weight, std=0.02)
        else:
            self.scale = torch.nn.Parameter(torch.tensor([10.0]))
            self.shift = torch.nn.Parameter(torch.tensor([0.5]))

    def forward(self, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        if self.kind == "concat":
            common = torch.cat([(u - v).abs(), u * v], dim=-1)
            ab = torch.cat([u, v, common], dim=-1)
            ba = torch.cat([v, u, common], dim=-1)
            return 0.5 * (ab @ self.weight.T + ba @ self.weight.T) + self.bias
        cos = torch.nn.functional.cosine_similarity(u, v, dim=-1)
        clone = self.scale * (cos - self.shift)
        return torch.stack([torch.zeros_like(clone), clone], dim=-1)


def pool(hidden: torch.Tensor, mask: torch.Tensor, pooling: str) -> torch.Tensor:
    """[n, t, h] token vectors -> [n, h] function vectors."""
    if pooling == "first":
        return hidden[:, 0, :]
    m = mask.to(hidden.dtype).unsqueeze(-1)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)


class SiameseModel(torch.nn.Module):
    """An encoder, its pooling and a head: what the siamese teacher and siamese students train."""

    def __init__(self, encoder, head: SiameseHead, pooling: str):
        super().__init__()
        self.encoder, self.head, self.pooling = encoder, head, pooling

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)[0]
        return pool(hidden, attention_mask, self.pooling)

    def pair_logits(self, items: list[tuple[list[int], list[int]]], pad: int, device) -> torch.Tensor:
        """Logits of (ids of a, ids of b) pairs; a function that occurs twice in the batch is encoded once."""
        distinct, where = unique_first([tuple(side) for item in items for side in item])
        batch = collate([(list(s), [0] * len(s)) for s in distinct], pad)
        vec = self.encode(batch["input_ids"].to(device), batch["attention_mask"].to(device))
        index = torch.tensor(where, device=device).view(-1, 2)
        return self.head(vec[index[:, 0]], vec[index[:, 1]])

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def spec(pooling: str, head: str) -> dict:
    return {"pooling": pooling, "head": head, "file": HEAD_FILE}


def check_spec(value, where: Path) -> dict:
    if not isinstance(value, dict):
        raise MetaCompressError(f"{where}: siamese must be an object with pooling, head and file")
    if value.get("pooling", "mean") not in POOLINGS:
        raise MetaCompressError(f"{where}: siamese.pooling must be one of {list(POOLINGS)}")
    if value.get("head") not in HEADS:
        raise MetaCompressError(f"{where}: siamese.head must be one of {list(HEADS)}")
    file = value.get("file", HEAD_FILE)
    if not isinstance(file, str) or "/" in file or "\\" in file or file.startswith("."):
        raise MetaCompressError(f"{where}: siamese.file must be a file name beside the model")
    return {"pooling": value.get("pooling", "mean"), "head": value["head"], "file": file}


def save_head(head: SiameseHead, path: Path) -> None:
    from safetensors.torch import save_file

    tensors = {k: v.detach().float().cpu().contiguous() for k, v in head.state_dict().items()}
    save_file(tensors, str(path), metadata={"format": "pt", "head": head.kind})


def load_head(path: Path, kind: str, hidden: int) -> SiameseHead:
    from safetensors.torch import load_file

    if not path.is_file():
        raise MetaCompressError(f"{path} is missing: a siamese model needs its head file beside the encoder")
    head = SiameseHead(kind, hidden)
    try:
        head.load_state_dict({k: v.float() for k, v in load_file(str(path)).items()}, strict=True)
    except RuntimeError as e:
        raise MetaCompressError(f"{path}: the {kind} head does not load: {str(e).splitlines()[0]}") from None
    return head


class VectorCache:
    """Function vectors of one model, keyed by the same content key as predictions (`input_digest` of the text
    the model reads), kept in memory up to `capacity` vectors (least recently used dropped first).

    A siamese model's vector of a function does not depend on its partner, so a function that appears in many
    pairs, within one call or across calls, is encoded once.
    """

    def __init__(self, capacity: int = 50_000):
        from collections import OrderedDict

        self.capacity = capacity
        self._rows: OrderedDict[str, object] = OrderedDict()
        self.computed = 0  # vectors the model actually computed
        self.reused = 0  # vectors answered from the cache

    def vectors(self, codes, compute):
        """float32 [len(codes), h]: cached rows, and `compute(missing codes)` for the rest (each distinct once)."""
        import numpy as np

        keys = [input_digest(c) for c in codes]
        missing: dict[str, str] = {}
        for key, code in zip(keys, codes, strict=True):
            if key in self._rows:
                self._rows.move_to_end(key)
            elif key not in missing:
                missing[key] = code
        self.reused += len(keys) - len(missing)
        if missing:
            rows = compute(list(missing.values()))
            self.computed += len(missing)
            for key, row in zip(missing, rows, strict=True):
                self._rows[key] = row
        found = [self._rows[k] for k in keys]
        while len(self._rows) > self.capacity:
            self._rows.popitem(last=False)
        if not found:
            return np.empty((0, 0), dtype=np.float32)
        return np.stack(found).astype(np.float32, copy=False)
