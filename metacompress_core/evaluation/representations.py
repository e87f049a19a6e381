"""Layer-wise hidden states of a model, for representational fidelity (CKA between teacher and student).

The representation of an input at a layer is what the classification head reads, taken after each encoder
layer (not the embeddings: there the first token is the same for every input): the first-token vector, or for
a mean-pooled model (`classifier_pooling: mean`) the mean of the vectors of its real (unpadded) tokens. It is
captured with forward hooks while the backend runs its own preprocessing, on batches in an order chosen here,
so no backend needs a second code path. A backend that is neither an HF directory nor a manifest student has
no reachable hidden states: None is returned.
For a pair, the vectors of its two functions are concatenated (siamese models), or the pair's single
encoding is used (text-pair models).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from metacompress_core.models.base import Backend, ModelInput


def layer_states(
    backend: Backend, inputs: Sequence[ModelInput], batch_size: int = 16
) -> list[np.ndarray] | None:
    """One float64 array [len(inputs), features] per encoder layer, or None when unavailable."""
    found = _runner(getattr(backend, "backend", backend))  # a CachedBackend wraps the real one
    if found is None:
        return None
    encoder, run = found
    modules = _layers(encoder)
    captured: list[list[np.ndarray]] = [[] for _ in modules]
    mean_pooled = getattr(getattr(encoder, "config", None), "classifier_pooling", None) == "mean"
    mask: list = [None]  # the running batch's attention mask, for mean pooling

    def keep_mask(_module, args, kwargs) -> None:
        mask[0] = kwargs.get("attention_mask")

    def hook(position: int):
        def keep(_module, _args, output) -> None:
            hidden = (output[0] if isinstance(output, tuple) else output).float()
            if mean_pooled and mask[0] is not None:
                weights = mask[0].to(hidden.dtype).unsqueeze(-1)
                vectors = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
            else:
                vectors = hidden[:, 0, :]
            captured[position].append(vectors.cpu().numpy())

        return keep

    handles = [m.register_forward_hook(hook(i)) for i, m in enumerate(modules)]
    if mean_pooled:
        handles.append(encoder.register_forward_pre_hook(keep_mask, with_kwargs=True))
    out: list[list[np.ndarray]] = [[] for _ in modules]
    try:
        for start in range(0, len(inputs), batch_size):
            for rows in captured:
                rows.clear()
            run(list(inputs[start : start + batch_size]))
            for layer, rows in enumerate(captured):
                # A siamese pair ran as two calls (first functions, then second ones): side by side.
                out[layer].append(np.concatenate(rows, axis=1))
    finally:
        for h in handles:
            h.remove()
    return [np.concatenate(rows, axis=0).astype(np.float64) for rows in out]


def _layers(encoder) -> list:
    import torch

    for holder in (
        getattr(encoder, "encoder", None),
        encoder,
    ):  # BERT: encoder.encoder.layer; ModernBERT: .layers
        for name in ("layer", "layers"):
            stack = getattr(holder, name, None)
            if isinstance(stack, torch.nn.ModuleList):
                return list(stack)
    raise AttributeError("no encoder layer list")


def _runner(backend) -> tuple[object, Callable[[list[ModelInput]], None]] | None:
    """(the encoder whose layers are hooked, a function that runs it on a batch of inputs in order)."""
    from metacompress_core.models.hf import HFBackend  # deferred: torch
    from metacompress_core.models.manifest_backend import ManifestBackend  # deferred: torch, transformers

    if isinstance(backend, HFBackend):
        if backend._model is None:  # an ONNX model folder: no torch layers to read
            return None
        encoder = backend._model.base_model
        if backend.input_form == "pair-siamese":
            return encoder, lambda batch: _per_function(
                batch, lambda codes: backend._run_vectors([backend._encode(c) for c in codes])
            )
        return encoder, lambda batch: backend._run_logits([backend._encode(x) for x in batch])
    if isinstance(backend, ManifestBackend):
        encoder = backend._network.encoder

        def run_codes(codes: list[str]) -> None:
            if backend._spec.encoding == "tokens":
                backend._run_sequences([backend._sequence(c) for c in codes])
            else:
                backend._run_graphs(backend._graphs(codes))

        return encoder, lambda batch: _per_function(batch, run_codes)
    return None


def _per_function(batch: list[ModelInput], run_codes: Callable[[list[str]], object]) -> None:
    """Run single functions as they are; pairs as all first functions, then all second functions."""
    if all(isinstance(x, str) for x in batch):
        run_codes(list(batch))  # type: ignore[arg-type]
        return
    run_codes([x[0] for x in batch])
    run_codes([x[1] for x in batch])
