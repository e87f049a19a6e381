"""A backend for a raw PyTorch state dict described by a MetaCompress manifest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tokenizers import Tokenizer
from transformers import RobertaConfig

from metacompress_core.errors import MetaCompressError
from metacompress_core.models.base import ModelInput, check_inputs, label_permutation, to_probabilities
from metacompress_core.models.batching import run_batched, unique_first
from metacompress_core.models.dataflow import extract_dataflow, remove_comments
from metacompress_core.models.device import DeviceOptions, prepare
from metacompress_core.models.fingerprint import file_sha256, model_fingerprint
from metacompress_core.models.graph_input import GraphInput, GraphSpec, build_graph_input, collate
from metacompress_core.models.manifest import FileRef, Manifest, read_manifest
from metacompress_core.models.network import StudentNetwork
from metacompress_core.models.siamese import VectorCache


class ManifestBackend:
    def __init__(
        self,
        manifest: str | Path | Manifest,
        weights_dir: str | Path | None = None,
        options: DeviceOptions | None = None,
    ):
        m = manifest if isinstance(manifest, Manifest) else read_manifest(manifest)
        self.manifest = m
        self.options = options or DeviceOptions()
        if self.options.backend != "torch":
            raise MetaCompressError(
                f"{m.path}: the {self.options.backend} backend runs Hugging Face model folders; a manifest "
                'model runs on torch (backend = "torch")'
            )
        base = Path(weights_dir).expanduser() if weights_dir is not None else m.path.parent
        weights_path = _locate(m, base, m.weights, "weights", weights_dir is None)
        tokenizer_path = _locate(m, base, m.tokenizer, "tokenizer", weights_dir is None)
        hashes = {
            "weights": _verified_hash(weights_path, m.weights),
            "tokenizer": _verified_hash(tokenizer_path, m.tokenizer),
        }
        self.name = m.name
        self.task: str | None = m.task
        self.labels, self._order = label_permutation(m.outputs, m.task)
        self._spec = m.input
        self._vector_cache = VectorCache()
        self._tokenizer = _load_tokenizer(tokenizer_path)
        self._ids = {role: self._token_id(text, role) for role, text in m.special_tokens.items()}
        network = StudentNetwork(_config(m), len(m.outputs), m.input.pair)
        _load_weights(network, weights_path, m)
        run_options = self.options
        if m.input.encoding == "graphcodebert-dataflow" and run_options.half:
            # A data-flow node with nothing to attend to is fully masked; in float16 the additive mask can
            # overflow to -inf there and turn into NaN, so these (small) models stay in float32.
            run_options = replace(run_options, half=False)
        self._network, self._device, half = prepare(network, run_options)
        self.fingerprint = model_fingerprint(hashes, {**m.settings(), "half": half})
        self._graph = GraphSpec(
            code_length=m.input.code_length,
            data_flow_length=m.input.data_flow_length,
            reserved_tokens=m.input.reserved_tokens,
            bos=self._ids["bos"],
            eos=self._ids["eos"],
            pad=self._ids["pad"],
            unk=self._ids["unk"],
        )

    @property
    def pairs(self) -> bool:
        return self._spec.pair

    def predict(self, inputs: Sequence[ModelInput]) -> np.ndarray:
        check_inputs(inputs, self._spec.pair, self.name)
        if not inputs:
            return np.empty((0, len(self.labels)), dtype=np.float32)
        if self._spec.pair:  # siamese: each distinct function encoded once, its vector kept for later calls
            codes, where = unique_first([code for pair in inputs for code in pair])
            vectors = self._vector_cache.vectors(codes, self.vectors)
            features = np.concatenate([vectors[where[0::2]], vectors[where[1::2]]], axis=1)
        else:
            codes, where = unique_first(list(inputs))
            features = self.vectors(codes)[where]
        with torch.inference_mode():
            x = torch.from_numpy(features).to(self._device, dtype=self._network.head.dense.weight.dtype)
            logits = self._network.classify(x).float().cpu().numpy()
        return to_probabilities(logits, self._order)

    def vectors(self, codes: Sequence[str]) -> np.ndarray:
        """The encoder's first-token vector of each code, float32 [len(codes), hidden]."""
        batch, padding = self.options.batch_size, self.options.max_padding
        if self._spec.encoding == "tokens":
            encoded = [self._sequence(code) for code in codes]
            return run_batched(encoded, [len(e) for e in encoded], batch, self._run_sequences, padding)
        graphs = self._graphs(codes)
        return run_batched(graphs, [g.batch_length for g in graphs], batch, self._run_graphs, padding)

    # ---- preprocessing ---------------------------------------------------------------------------------------

    def _text(self, code: str) -> str:
        return " ".join(code.split()) if self._spec.whitespace == "collapse" else code

    def _sequence(self, code: str) -> list[int]:
        ids = self._tokenizer.encode(self._text(code)).ids[: self._spec.max_length - 2]
        return [self._ids["bos"], *ids, self._ids["eos"]]

    def _graphs(self, codes: Sequence[str]) -> list[GraphInput]:
        spec = self._spec
        flows = []
        for code in codes:
            text = self._text(code)
            if spec.split_escaped_newlines:  # as Compressor's C extractor does, string literals included
                text = text.replace("\\n", "\n")
            if spec.comments == "remove":
                text = remove_comments(text, spec.language)
            flows.append(extract_dataflow(text, spec.language, spec.dataflow_rules, spec.keep_unlinked_nodes))
        # Each leaf token is encoded on its own (so each gets the tokenizer's word-start marker).
        leaves = sorted({t for flow in flows for t in flow.tokens})
        pieces = dict(zip(leaves, (e.ids for e in self._tokenizer.encode_batch(leaves)), strict=True))
        return [build_graph_input(flow, pieces.__getitem__, self._graph) for flow in flows]

    # ---- model runs ------------------------------------------------------------------------------------------

    def _run_sequences(self, batch: list[list[int]]) -> np.ndarray:
        length = max(len(ids) for ids in batch)
        pad = self._ids["pad"]
        ids = torch.full((len(batch), length), pad, dtype=torch.long)
        for r, row in enumerate(batch):
            ids[r, : len(row)] = torch.tensor(row, dtype=torch.long)
        with torch.inference_mode():
            ids = ids.to(self._device)
            vectors = self._network.encode_sequences(ids, ids.ne(pad).long())
        return vectors.float().cpu().numpy()

    def _run_graphs(self, batch: list[GraphInput]) -> np.ndarray:
        ids, positions, mask = collate(batch, self._graph)
        with torch.inference_mode():
            vectors = self._network.encode_graphs(
                ids.to(self._device), positions.to(self._device), mask.to(self._device)
            )
        return vectors.float().cpu().numpy()

    def _token_id(self, text: str, role: str) -> int:
        i = self._tokenizer.token_to_id(text)
        if i is None:
            raise MetaCompressError(
                f"manifest {self.manifest.path}: the tokenizer has no {role} token {text!r} "
                f"(set tokenizer.{role} to its {role} token)"
            )
        return i


def _locate(m: Manifest, base: Path, ref: FileRef, what: str, default_base: bool) -> Path:
    path = Path(ref.path)
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        hint = (
            "pass the directory the manifest's paths are relative to (weights_dir / --weights-dir)"
            if default_base
            else f"check that {base} is the directory the manifest's paths are relative to"
        )
        raise MetaCompressError(f"the {what} file of {m.name!r} is not at {path}: {hint}")
    return path


def _verified_hash(path: Path, ref: FileRef) -> str:
    digest = file_sha256(path)
    if ref.sha256 and digest != ref.sha256:
        raise MetaCompressError(
            f"{path} does not match its manifest: sha256 {digest}, the manifest states {ref.sha256}. "
            "It is a different file from the one the manifest describes."
        )
    return digest


def _load_tokenizer(path: Path) -> Tokenizer:
    try:
        return Tokenizer.from_file(str(path))
    except Exception as e:  # the tokenizers library raises plain Exceptions for bad files
        raise MetaCompressError(f"cannot load tokenizer {path}: {e}") from None


def _config(m: Manifest) -> RobertaConfig:
    try:
        return RobertaConfig(**m.architecture)
    except (TypeError, ValueError) as e:
        raise MetaCompressError(f"manifest {m.path}: architecture.config: {e}") from None


def load_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Tensors only: safetensors, or a pickle read with torch.load(weights_only=True), which refuses any
    object other than tensors and plain containers."""
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path), device="cpu")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # UnpicklingError for objects beyond tensors, RuntimeError for corrupt files
        raise MetaCompressError(
            f"cannot load {path} as a plain state dict with torch.load(weights_only=True): {e}"
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise MetaCompressError(f"{path} is not a state dict (a mapping of names to tensors)")
    return state


def _load_weights(network: StudentNetwork, path: Path, m: Manifest) -> None:
    state = load_state_dict(path)
    parts: dict[str, dict[str, Any]] = {"encoder": {}, "head": {}}
    unexpected = []
    for key, tensor in state.items():
        if any(key == k or (k.endswith(".") and key.startswith(k)) for k in m.ignore_keys):
            continue
        if key.startswith(m.head_prefix):
            parts["head"][key[len(m.head_prefix) :]] = tensor
        elif key.startswith(m.encoder_prefix):
            parts["encoder"][key[len(m.encoder_prefix) :]] = tensor
        else:
            unexpected.append(key)
    if unexpected:
        raise MetaCompressError(
            f"{path}: keys outside the manifest's encoder/head prefixes: {unexpected[:5]}"
            + (" ..." if len(unexpected) > 5 else "")
            + " (list them under state_dict.ignore if the model does not use them)"
        )
    for name, module in (("encoder", network.encoder), ("head", network.head)):
        try:
            module.load_state_dict(parts[name], strict=True)
        except RuntimeError as e:
            raise MetaCompressError(
                f"{path} does not fit the manifest's {name} ({m.path}): {str(e).splitlines()[0]} "
                f"{_first_problem(str(e))}"
            ) from None
    network.float()


def _first_problem(message: str) -> str:
    lines = [line.strip() for line in message.splitlines()[1:] if line.strip()]
    return lines[0][:300] if lines else ""
