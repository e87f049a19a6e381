"""What a student learns from and is measured on: the unlabelled half (inputs only), valid and test splits,
the code its tokenizer is trained on, and the token ids of any of these under a student's tokenizer."""

from __future__ import annotations

import random
from dataclasses import dataclass

from metacompress_core.datasets import labelled_unlabelled_halves, load_bcb, load_devign
from metacompress_core.distill.encoding import Specials, pair_ids, single_ids
from metacompress_core.models.base import ModelInput


@dataclass
class StudentData:
    unlabelled: list[ModelInput]
    valid: list[ModelInput]
    valid_labels: list[int]
    test: list[ModelInput]
    test_labels: list[int]
    texts: list[str]  # the functions of the unlabelled half: what the student's tokenizer is trained on
    describe: str


def load_student_data(
    task: str, data: str | None, seed: int, unlabelled_limit: int | None, eval_limit: int | None
) -> StudentData:
    if task == "vuln":
        examples = load_devign(data)
        # The same halves as the teacher (seed 0): the teacher saw the labelled half, students see the other.
        _, unlabelled = labelled_unlabelled_halves([e for e in examples if e.split == "train"], seed=0)
        inputs: list[ModelInput] = [e.code for e in unlabelled]
        valid = [e for e in examples if e.split == "valid"][:eval_limit]
        test = [e for e in examples if e.split == "test"][:eval_limit]
        total = len(inputs)
        inputs = _sample(inputs, unlabelled_limit, seed)
        describe = (
            f"Devign (devign/devign.jsonl.gz): the unlabelled half of train ({total:,} functions, the half the "
            f"teacher did not see; labels unused), {len(inputs):,} of them with the teacher's soft labels"
        )
        return StudentData(
            inputs,
            [e.code for e in valid],
            [e.label for e in valid],
            [e.code for e in test],
            [e.label for e in test],
            sorted(set(x for x in inputs if isinstance(x, str))),
            describe,
        )
    bcb = load_bcb(data, splits=("train_unlabeled", "valid", "test"))
    pairs = bcb.split("train_unlabeled")
    total = len(pairs)
    pairs = _sample(pairs, unlabelled_limit, seed)
    valid, test = bcb.split("valid")[:eval_limit], bcb.split("test")[:eval_limit]
    ids = sorted({i for p in pairs for i in (p.id1, p.id2)})
    describe = (
        f"BigCloneBench (bcb/pairs.jsonl.gz): split train_unlabeled ({total:,} pairs, labels unused), "
        f"{len(pairs):,} of them with the teacher's soft labels"
    )
    return StudentData(
        [bcb.code_pair(p) for p in pairs],
        [bcb.code_pair(p) for p in valid],
        [p.label for p in valid],
        [bcb.code_pair(p) for p in test],
        [p.label for p in test],
        [bcb.functions[i] for i in ids],
        describe,
    )


def _sample(items: list, limit: int | None, seed: int) -> list:
    """A seeded subsample that keeps file order (so a larger limit includes a smaller one's choices first)."""
    if limit is None or limit >= len(items):
        return list(items)
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    return [items[i] for i in sorted(order[:limit])]


class InputEncoder:
    """Token ids as the checker computes them (HFBackend): [CLS] a [SEP] (b [SEP]), fair pair truncation; for a
    siamese student a pair is two such sequences, ([CLS] a [SEP], [CLS] b [SEP]), each cut to max_length."""

    def __init__(self, tokenizer, max_length: int, siamese: bool = False):
        self.tok, self.max_length, self.siamese = tokenizer, max_length, siamese
        self.sp = Specials(
            tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]"), tokenizer.token_to_id("[PAD]")
        )
        self._cache: dict[str, list[int]] = {}

    def _fill(self, texts: list[str]) -> None:
        todo = sorted(set(texts) - self._cache.keys())
        for i in range(0, len(todo), 1024):
            chunk = todo[i : i + 1024]
            for text, enc in zip(chunk, self.tok.encode_batch(chunk, add_special_tokens=False), strict=True):
                self._cache[text] = enc.ids[: self.max_length]

    def encode(self, inputs: list[ModelInput]) -> list[tuple[list[int], list[int]]]:
        self._fill([t for x in inputs for t in ((x,) if isinstance(x, str) else x)])
        out = []
        for x in inputs:
            if isinstance(x, str):
                out.append(single_ids(self._cache[x], self.max_length, self.sp))
            elif self.siamese:
                out.append(tuple(single_ids(self._cache[t], self.max_length, self.sp)[0] for t in x))
            else:
                out.append(pair_ids(self._cache[x[0]], self._cache[x[1]], self.max_length, self.sp))
        return out
