"""The ONNX Runtime backend: a Hugging Face model exported once to ONNX, then run by ONNX Runtime on the CPU.

Chosen by a setting (`backend = "onnx"`, `--backend onnx`), never silently. The export is PyTorch's own
(`torch.onnx.export`, the dynamo exporter: the legacy tracer gets transformers 5's attention masks wrong)
with dynamic batch and sequence axes, written once per model fingerprint and part under the cache folder
(atomically: a half-written file is never read), and run with all of ONNX Runtime's graph optimisations.
Before it is kept, its transformer layers are fused into ONNX Runtime's own kernels (onnxscript's
`optimize_for_ort`: attention, skip-layer-norm, bias-gelu), which ORT's own optimiser does not find in the
dynamo export; on a CodeBERT-size model on the CPU that is 1.1-1.3x over torch (docs/PERFORMANCE.md). The
fused graph is kept only if it gives the unfused one's outputs on a padded sample of varied tokens within
1e-4; otherwise the unfused graph is. The outputs equal the torch model's within float rounding
(tests/test_models_onnx.py checks 1e-4 per probability). Needs the `onnx` extra:
`pip install "metacompress[onnx]"` (onnxruntime, onnx, onnxscript).

An **ONNX model folder** (`model.onnx` beside config.json and the tokenizer files, no torch weights: what
`metacompress compress --method int8` writes, or your own export) is run by `OnnxGraph`, whatever the backend
setting. Its graph's contract: inputs `input_ids` and `attention_mask` (and `token_type_ids` if it wants them;
all int64 [batch, sequence], or int32), first output the logits, float [batch, num_labels] (for a bi-encoder
folder: the pooled function vectors, float [batch, hidden_size]).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from metacompress_core.errors import MetaCompressError

log = logging.getLogger(__name__)

BACKENDS = ("torch", "onnx")
CACHE_ENV = "METACOMPRESS_ONNX_DIR"
GRAPH_VERSION = 2  # in the cached file's name: 2 = fused for ONNX Runtime (1 was the plain export)
FUSED_TOLERANCE = 1e-4  # largest difference a fused graph may make to the unfused one's outputs


def onnx_folder() -> Path:
    """Where exported models are kept: $METACOMPRESS_ONNX_DIR, else ~/.cache/metacompress/onnx."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "metacompress" / "onnx").expanduser()


class OnnxPart:
    """One exported function of a model (its logits, or its function vectors), run by ONNX Runtime."""

    def __init__(
        self,
        forward: Callable[..., torch.Tensor],
        input_names: list[str],
        path: Path,
        threads: int | None,
        owner: torch.nn.Module,
    ):
        _import_onnxruntime()
        self.input_names = input_names
        if not path.is_file():
            export_graph(forward, input_names, path, owner, fuse=True)
        self._session = open_session(path, threads, "delete the file to export again")

    def __call__(self, inputs: dict[str, torch.Tensor]) -> np.ndarray:
        feed = {name: inputs[name].cpu().numpy().astype(np.int64) for name in self.input_names}
        return self._session.run(None, feed)[0]


GRAPH_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxGraph:
    """An ONNX model folder's own graph (module docstring: the contract), checked when it is opened."""

    def __init__(self, path: Path, threads: int | None, width: int, what: str = "the logits, one per label"):
        self._path, self._width, self._what = path, width, what  # the output's columns and what they are
        self._session = open_session(
            path,
            threads,
            "export it again from the torch folder: metacompress compress --method int8 or onnx",
        )
        inputs = {i.name: i.type for i in self._session.get_inputs()}
        unknown = sorted(set(inputs) - set(GRAPH_INPUTS))
        if unknown or not {"input_ids", "attention_mask"} <= set(inputs):
            raise MetaCompressError(
                f"{path} takes the inputs {sorted(inputs)}; an ONNX model folder's graph must take input_ids and "
                "attention_mask (and token_type_ids if it uses them) and return the logits (docs/MODELS.md)"
            )
        self._types = {
            name: np.int32 if kind == "tensor(int32)" else np.int64 for name, kind in inputs.items()
        }
        output = self._session.get_outputs()[0]
        self._output = output.name
        shape = list(output.shape or [])
        if shape and (len(shape) != 2 or (isinstance(shape[1], int) and shape[1] != width)):
            self._wrong_output(shape)

    def __call__(self, inputs: dict[str, torch.Tensor]) -> np.ndarray:
        feed = {}
        for name, dtype in self._types.items():
            value = inputs.get(name)
            if value is None:  # token types that the tokenizer does not produce: all zero
                value = torch.zeros_like(inputs["input_ids"])
            feed[name] = value.cpu().numpy().astype(dtype)
        result = np.asarray(self._session.run([self._output], feed)[0], dtype=np.float32)
        if result.shape != (len(feed["input_ids"]), self._width):
            self._wrong_output(list(result.shape))
        return result

    def _wrong_output(self, shape: list) -> None:
        raise MetaCompressError(
            f"{self._path}'s first output has shape {shape}; an ONNX model folder's graph must return "
            f"[batch, {self._width}] ({self._what}; docs/MODELS.md)"
        )


def open_session(path: Path, threads: int | None, remedy: str):
    """An ONNX Runtime CPU session with all graph optimisations, or a MetaCompressError ending with `remedy`."""
    ort = _import_onnxruntime()
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.log_severity_level = 3  # errors only: its warnings about unused initialisers are not news
    # Idle threads sleep instead of spinning: on a machine shared with torch, the editor and other work, the
    # spinning threads took the cores the running batch needed (a CodeBERT-size model: 25% slower with spinning).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # Batches come in every shape (length-sorted, of functions of any size): a memory plan per shape costs more
    # than it saves (a CodeBERT-size model on batches of 7 shapes: 38 s without, 50 s with).
    options.enable_mem_pattern = False
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as e:  # noqa: BLE001 - onnxruntime raises its own exception types
        raise MetaCompressError(
            f"ONNX Runtime cannot load {path}: {str(e).splitlines()[0]} ({remedy})"
        ) from None


class _Forward(torch.nn.Module):
    """The model function as a module with the tokens as named arguments (what the exporter traces)."""

    def __init__(self, forward: Callable[..., torch.Tensor], owner: torch.nn.Module):
        super().__init__()
        self.owner = owner  # registered, so that the exporter sees its parameters
        self._forward = forward

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            inputs["token_type_ids"] = token_type_ids
        return self._forward(**inputs)


def export_graph(
    forward: Callable[..., torch.Tensor],
    names: list[str],
    path: Path,
    owner: torch.nn.Module,
    output_name: str = "output",
    fuse: bool = False,
) -> None:
    """Export `forward` (of `owner`'s parameters) to `path`: inputs `names`, dynamic batch and sequence axes.
    With `fuse`, fused for ONNX Runtime when that keeps the outputs (only ORT runs such a graph, so an ONNX
    model folder, which other runtimes may read, keeps standard operators)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A sample with padding, so that the traced graph keeps the attention mask's data-dependent path.
    mask = torch.ones((2, 16), dtype=torch.long)
    mask[1, 8:] = 0
    sample = {"input_ids": torch.full((2, 16), 5), "attention_mask": mask, "token_type_ids": mask * 0}
    batch = seq = torch.export.Dim.DYNAMIC  # bounds (e.g. the position table) are found by the exporter
    module = _Forward(forward, owner).eval()
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                module,
                (),
                kwargs={name: sample[name] for name in names},
                dynamo=True,
                external_data=False,
                input_names=names,
                output_names=[output_name],
                dynamic_shapes={name: {0: batch, 1: seq} for name in names},
                verbose=False,
            )
            program.save(tmp)
        if fuse:
            fuse_for_ort(Path(tmp), _check_sample(sample, names, owner))
        os.replace(tmp, path)
    except Exception as e:  # noqa: BLE001 - the exporter raises many kinds; the message names the model part
        Path(tmp).unlink(missing_ok=True)
        raise MetaCompressError(
            f"cannot export the model to ONNX ({type(e).__name__}: {str(e).splitlines()[0][:300]}); "
            "use the torch backend for it"
        ) from None


def _check_sample(
    sample: dict[str, torch.Tensor], names: list[str], owner: torch.nn.Module
) -> dict[str, np.ndarray]:
    """The export's padded sample (its inputs `names`) with varied tokens, seeded and within the model's
    vocabulary: one token repeated would let a fusion that mixes up positions or heads pass the comparison."""
    feed = {name: sample[name] for name in names}
    vocabulary = getattr(getattr(owner, "config", None), "vocab_size", None)
    if isinstance(vocabulary, int) and vocabulary > 1:
        generator = torch.Generator().manual_seed(0)
        feed["input_ids"] = torch.randint(0, vocabulary, feed["input_ids"].shape, generator=generator)
    return {name: value.numpy() for name, value in feed.items()}


def fuse_for_ort(path: Path, sample: dict[str, np.ndarray]) -> bool:
    """Replace the graph at `path` by its ORT-fused form if that gives its outputs on `sample` within
    FUSED_TOLERANCE; True when it did. Any failure keeps the plain graph: fusion is a speed-up, never a need."""
    candidate = path.with_name(path.name + ".fused")
    try:
        import onnx_ir
        from onnxscript.rewriter import ort_fusions

        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            fused, _counts = ort_fusions.optimize_for_ort(onnx_ir.load(str(path)))
            onnx_ir.save(fused, str(candidate))
        feed = {name: value.astype(np.int64) for name, value in sample.items()}
        plain = open_session(path, 1, "").run(None, feed)[0]
        quick = open_session(candidate, 1, "").run(None, feed)[0]
        difference = float(np.abs(np.asarray(quick) - np.asarray(plain)).max())
        if not difference <= FUSED_TOLERANCE:  # also false for NaN
            log.warning(
                "ONNX Runtime fusion changed the outputs by %.1e; the plain graph is kept", difference
            )
            return False
        os.replace(candidate, path)
        return True
    except Exception as e:  # noqa: BLE001 - onnxscript's rewriter and ORT raise many kinds; the plain graph works
        log.info("ONNX Runtime fusion not applied (%s: %s); the plain graph is kept", type(e).__name__, e)
        return False
    finally:
        candidate.unlink(missing_ok=True)


def require_onnx():
    """onnxruntime, or the error that says how to install it (asked before any model runs)."""
    return _import_onnxruntime()


def _import_onnxruntime():
    try:
        import onnxruntime
        import onnxscript  # noqa: F401 - the exporter needs it; fail here with the install line, not mid-export
    except ImportError:
        raise MetaCompressError(
            'the onnx backend needs onnxruntime, onnx and onnxscript: pip install "metacompress[onnx]"'
        ) from None
    return onnxruntime
