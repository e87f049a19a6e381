"""Compress a Hugging Face model folder without distillation: `compress`, which `metacompress compress`
(metacompress/compress_command.py) calls:

    metacompress compress --method int8|fp16|prune|onnx --teacher DIR --out DIR [--sparsity S]

- `prune`: `torch.nn.utils.prune.global_unstructured` with L1 magnitude over the weights of every Linear layer of
  the encoder (`model.base_model`; the classification head and the embeddings are kept whole), made permanent
  with `prune.remove` and saved with save_pretrained; each tensor keeps the precision it had in the source file.
  Global rather than per-layer: one threshold for all layers removes the smallest weights of the whole encoder,
  so a layer whose weights matter more keeps more of them, where a per-layer rate would cut every layer alike
  (Blalock et al., "What is the state of neural network pruning?", MLSys 2020: global magnitude pruning loses
  less accuracy at the same sparsity). The card gives each layer's sparsity.
- `fp16`: the model in half precision, saved with save_pretrained (config.json then says float16).
  MetaCompress computes it in float32 on the CPU (HFBackend always loads torch weights in float32).
- `int8`: the float32 model exported to ONNX with the exporter of the onnx backend (models/onnx_runtime.py),
  then `onnxruntime.quantization.quantize_dynamic` (QInt8 weights, per tensor; activations quantised at run
  time) to `model.onnx`: an ONNX model folder (models/hf.py), which MetaCompress runs with ONNX Runtime.
- `onnx`: the same ONNX model folder without quantisation (float32; the reference the int8 one departs from).

The output folder carries the source's config.json (save_pretrained writes it for fp16), tokenizer files,
`metacompress.json` and a bi-encoder's head file unchanged, and gets a model card (README.md) and
`compression.json`: the source's fingerprint, the method and its settings, sizes on disk before and after, and
the largest probability difference from the source on a few built-in inputs. The source's own README.md and
metrics.json are not carried: their scores are the source's. The folder is built beside --out and renamed into
place when complete.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from metacompress_core import __version__
from metacompress_core.errors import MetaCompressError
from metacompress_core.models.device import DeviceOptions
from metacompress_core.models.loading import local_model_path

METHODS = ("int8", "fp16", "prune", "onnx")
DEFAULT_SPARSITY = 0.5
CARD, RECORD = "README.md", "compression.json"
_NOT_CARRIED = {
    CARD,
    RECORD,
    "metrics.json",
    "model.onnx",
    "model.safetensors",
    "model.safetensors.index.json",
}
_SAMPLES = (  # built-in inputs for the card's spot check (clone models get pairs of them)
    "int f(int a) { return a + 1; }",
    "void copy(char *dst, const char *src) { while (*src) *dst++ = *src++; *dst = 0; }",
    "int sum(const int *a, int n) { int t = 0; for (int i = 0; i < n; i++) t += a[i]; return t; }",
    "char *dup(const char *s) { char *p = malloc(strlen(s)); strcpy(p, s); return p; }",
)


def compress(
    method: str,
    teacher: str | Path,
    out: str | Path,
    *,
    sparsity: float | None = None,
    threads: int | None = None,
) -> dict[str, Any]:
    """Compress the HF folder `teacher` into the new folder `out`; returns what compression.json records."""
    from metacompress_core.models.hf import HFBackend  # deferred: torch

    if method not in METHODS:
        raise MetaCompressError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    if method == "prune":
        sparsity = DEFAULT_SPARSITY if sparsity is None else sparsity
        if not 0.0 < sparsity < 1.0:
            raise MetaCompressError(
                f"--sparsity must be between 0 and 1, both excluded (got {sparsity}): e.g. 0.5 zeroes half the weights"
            )
    elif sparsity is not None:
        raise MetaCompressError("--sparsity applies to --method prune only: leave it out")
    if threads is not None and threads < 1:
        raise MetaCompressError(f"--threads must be at least 1, got {threads}")
    source = _source_folder(teacher)
    target = _target_folder(Path(out))
    options = DeviceOptions(device="cpu", threads=threads)
    if method in ("int8", "onnx"):
        from metacompress_core.models.onnx_runtime import require_onnx  # deferred: torch

        require_onnx()
    backend = HFBackend(source, options=options)
    if method in ("int8", "onnx") and backend.input_form == "pair-siamese" and backend.siamese is None:
        raise MetaCompressError(
            f"--method {method} writes an ONNX model folder, whose graph maps one input to logits (or, for a "
            f"bi-encoder with a head file, to the function vector the head reads); {source} is pair-siamese with "
            "its head inside the weights, reading two functions' vectors at once, which that graph cannot hold: "
            "use --method fp16 or prune for it"
        )
    inputs = _spot_inputs(backend)
    reference = backend.predict(inputs)  # before the method changes the model in place
    work = target.parent / f".{target.name}.partial-{uuid.uuid4().hex[:12]}"
    work.mkdir()  # beside --out, so that the finished folder is renamed into place
    try:
        with _quiet_saving():
            details = _METHODS[method](backend, source, work, sparsity)
        _carry(source, work, written={"config.json"} if (work / "config.json").is_file() else set())
        record = {
            "metacompress": __version__,
            "method": method,
            "settings": details.pop("settings"),
            "source": {"path": str(teacher), "fingerprint": backend.fingerprint},
            "bytes": {
                "weights_before": _weight_bytes(source),
                "weights_after": _weight_bytes(work),
                "files_before": _model_file_bytes(source),
                "files_after": _model_file_bytes(work),
            },
            **details,
        }
        compressed = HFBackend(work, options=options)
        record["fingerprint"] = compressed.fingerprint
        diff = float(np.abs(compressed.predict(inputs) - reference).max())
        record["spot_check"] = {"inputs": len(inputs), "max_abs_diff": diff}
        (work / RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        (work / CARD).write_text(_card(record, target.name), encoding="utf-8")
        if target.exists():
            target.rmdir()  # checked empty
        work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return record


# ---- checks ----------------------------------------------------------------------------------------------------


def _source_folder(teacher: str | Path) -> Path:
    from metacompress_core.models.hf import is_onnx_folder  # deferred: torch

    path = local_model_path(teacher)
    what = "a Hugging Face model folder (config.json and model.safetensors, as save_pretrained writes them)"
    if not path.is_dir() or not (path / "config.json").is_file():
        raise MetaCompressError(
            f"--teacher {teacher} is not {what}: compress works on such a folder (a manifest's state dict is not "
            "one; load it with AutoModelForSequenceClassification and save_pretrained first)"
        )
    if is_onnx_folder(path):
        raise MetaCompressError(
            f"--teacher {teacher} is an ONNX model folder: compress the Hugging Face folder it was made from"
        )
    if not (path / "model.safetensors").is_file() and not any(path.glob("model-*.safetensors")):
        raise MetaCompressError(
            f"--teacher {teacher} has no safetensors weights (model.safetensors): it is not {what}; "
            "convert pickled weights with save_pretrained first"
        )
    return path


def _target_folder(out: Path) -> Path:
    if out.exists() and not out.is_dir():
        raise MetaCompressError(f"--out {out} is a file: pass a new folder")
    if out.is_dir() and any(out.iterdir()):
        raise MetaCompressError(
            f"--out {out} exists and is not empty: pass a new folder (compress never overwrites one)"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    return out


# ---- methods ---------------------------------------------------------------------------------------------------


def _prune(backend, source: Path, work: Path, sparsity: float) -> dict[str, Any]:
    import torch
    from torch.nn.utils import prune

    model = backend._model
    encoder = {id(m) for m in model.base_model.modules()}
    layers = [
        (name, m) for name, m in model.named_modules() if isinstance(m, torch.nn.Linear) and id(m) in encoder
    ]
    if not layers:
        raise MetaCompressError(f"{source}: its encoder has no Linear layers to prune")
    prune.global_unstructured(
        [(m, "weight") for _, m in layers], pruning_method=prune.L1Unstructured, amount=sparsity
    )
    for _, m in layers:
        prune.remove(m, "weight")  # the mask applied for good: plain weights with zeros
    model.save_pretrained(work)
    _restore_precision(source, work)
    shutil.copyfile(source / "config.json", work / "config.json")  # same architecture, same stored precision
    saved = _read_tensors(work)  # measured on what was written, not on the model in memory
    missing = [n for n, _ in layers if f"{n}.weight" not in saved]
    if missing:
        raise MetaCompressError(f"the pruned weights {missing[:3]} of {source} are not in the saved file")
    per_layer = {}
    zeros = total = 0
    for name, _ in layers:
        tensor = saved[f"{name}.weight"]
        z = int((tensor == 0).sum())
        per_layer[f"{name}.weight"] = round(z / tensor.numel(), 4)
        zeros, total = zeros + z, total + tensor.numel()
    floats = [t for t in saved.values() if t.is_floating_point()]
    every = sum(t.numel() for t in floats)
    return {
        "settings": {"sparsity": sparsity, "scope": "global", "criterion": "L1 (magnitude), unstructured"},
        "sparsity": {
            "requested": sparsity,
            "achieved": round(zeros / total, 6),
            "pruned_weights": total,
            "all_weights": every,
            "share_of_all_weights_zero": round(sum(int((t == 0).sum()) for t in floats) / every, 6),
            "per_layer": per_layer,
        },
    }


def _fp16(backend, source: Path, work: Path, sparsity: float | None) -> dict[str, Any]:
    backend._model.half().save_pretrained(work)
    dtypes = sorted({str(t.dtype).removeprefix("torch.") for t in _read_tensors(work).values()})
    return {
        "settings": {"dtype": "float16"},
        "stored_dtypes": dtypes,
        "note": "stored in float16; MetaCompress computes it in float32 on the CPU (float16 on CUDA with half)",
    }


def _onnx(backend, source: Path, work: Path, sparsity: float | None) -> dict[str, Any]:
    backend.export_onnx(work / "model.onnx")
    shutil.copyfile(source / "config.json", work / "config.json")
    return {"settings": {"dtype": "float32", "exporter": "torch.onnx.export(dynamo=True)"}}


def _int8(backend, source: Path, work: Path, sparsity: float | None) -> dict[str, Any]:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="metacompress-int8-") as tmp:
        fp32 = Path(tmp) / "model.fp32.onnx"
        backend.export_onnx(fp32)
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # its advice to pre-process changed nothing here (docs/MODELS.md)
        try:
            quantize_dynamic(fp32, work / "model.onnx", weight_type=QuantType.QInt8, per_channel=False)
        except Exception as e:  # noqa: BLE001 - the quantiser raises many kinds
            raise MetaCompressError(
                f"ONNX Runtime could not quantise {source}'s graph ({type(e).__name__}: {str(e)[:300]}); "
                "try --method fp16 or prune"
            ) from None
        finally:
            root.setLevel(level)
        fp32_bytes = fp32.stat().st_size
    shutil.copyfile(source / "config.json", work / "config.json")
    return {
        "settings": {
            "weight_type": "QInt8",
            "per_channel": False,
            "reduce_range": False,
            "activations": "quantised at run time (dynamic)",
            "tool": "onnxruntime.quantization.quantize_dynamic",
        },
        "onnx_fp32_bytes": fp32_bytes,
        "tensors": _onnx_tensor_counts(work / "model.onnx"),
    }


_METHODS: dict[str, Callable[..., dict[str, Any]]] = {
    "prune": _prune,
    "fp16": _fp16,
    "int8": _int8,
    "onnx": _onnx,
}


@contextlib.contextmanager
def _quiet_saving():
    """No "Writing model shards" bar from save_pretrained: the command prints its own summary."""
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if bars:
            hf_logging.enable_progress_bar()


# ---- files -----------------------------------------------------------------------------------------------------


def _read_tensors(folder: Path) -> dict:
    from safetensors.torch import load_file

    tensors: dict = {}
    for path in sorted(folder.glob("model*.safetensors")):
        tensors.update(load_file(str(path)))
    return tensors


def _restore_precision(source: Path, work: Path) -> None:
    """Store each saved tensor in the precision the source file stored it in (pruning changes no precision)."""
    from safetensors.torch import load_file, save_file

    before = {k: v.dtype for k, v in _read_tensors(source).items()}
    for path in sorted(work.glob("model*.safetensors")):
        tensors = load_file(str(path))
        if any(k in before and v.dtype != before[k] for k, v in tensors.items()):
            cast = {k: (v.to(before[k]) if k in before else v).contiguous() for k, v in tensors.items()}
            save_file(cast, str(path), metadata={"format": "pt"})


def _is_weight_file(path: Path) -> bool:
    name = path.name
    return name in ("model.onnx", "model.safetensors") or (
        name.startswith("model-") and name.endswith(".safetensors")
    )


def _head_file(folder: Path) -> Path | None:
    sidecar = folder / "metacompress.json"
    if not sidecar.is_file():
        return None
    spec = json.loads(sidecar.read_text(encoding="utf-8")).get("siamese")
    return folder / spec["file"] if isinstance(spec, dict) and "file" in spec else None


def _weight_bytes(folder: Path) -> int:
    """The files that hold the model's numbers: its weights (or graph), plus a bi-encoder's head file."""
    head = _head_file(folder)
    return sum(p.stat().st_size for p in folder.iterdir() if _is_weight_file(p) or p == head)


def _model_file_bytes(folder: Path) -> int:
    """Everything MetaCompress reads to run the model (all files but the card, records and scores)."""
    return sum(
        p.stat().st_size
        for p in folder.iterdir()
        if p.is_file() and p.name not in (CARD, RECORD, "metrics.json")
    )


def _carry(source: Path, work: Path, written: set[str]) -> None:
    """Copy the source's other files unchanged: tokenizer, sidecar, head file, config.json unless written."""
    for path in sorted(source.iterdir()):
        if not path.is_file() or path.name.startswith(".") or path.name in written:
            continue
        if path.name in _NOT_CARRIED or _is_weight_file(path) or path.name.startswith("pytorch_model"):
            continue
        shutil.copyfile(path, work / path.name)


def _onnx_tensor_counts(path: Path) -> dict[str, int]:
    import onnx

    counts: dict[str, int] = {}
    for tensor in onnx.load(str(path)).graph.initializer:
        kind = onnx.helper.tensor_dtype_to_np_dtype(tensor.data_type).name
        size = int(np.prod(tensor.dims)) if tensor.dims else 1
        counts[f"{kind}_values"] = counts.get(f"{kind}_values", 0) + size
    return dict(sorted(counts.items()))


# ---- verification and card -------------------------------------------------------------------------------------


def _spot_inputs(source) -> list:
    """Built-in inputs on which the card compares the compressed model's probabilities with the source's."""
    if source.pairs:
        return [(a, b) for a in _SAMPLES[:2] for b in _SAMPLES]
    return list(_SAMPLES)


_METHOD_TEXT = {
    "prune": "L1 (magnitude) unstructured pruning, global over the encoder's Linear weights "
    "(torch.nn.utils.prune.global_unstructured, made permanent with prune.remove); the head and embeddings kept whole",
    "fp16": "half precision: the weights stored in float16 (save_pretrained of the model in half precision)",
    "int8": "dynamic int8 quantisation with ONNX Runtime (quantize_dynamic, QInt8 weights) of the float32 model "
    "exported to ONNX: an ONNX model folder",
    "onnx": "the float32 model exported to ONNX (no quantisation): an ONNX model folder",
}
_LOADING = {
    "prune": "as any Hugging Face folder (safetensors); the zeros are stored densely, so the file is no smaller "
    "unless compressed or run by sparse kernels",
    "fp16": "as any Hugging Face folder; MetaCompress loads torch weights in float32, so it computes this model in "
    "float32 on the CPU (float16 on CUDA only with the half option). Plain transformers loads it in float16 "
    "(config.json says so) unless given dtype=torch.float32",
    "int8": "as an ONNX model folder: model.onnx (inputs input_ids, attention_mask; output the logits, or a "
    "bi-encoder's pooled vectors) is run by ONNX Runtime on the CPU, with this folder's tokenizer and "
    "metacompress.json",
    "onnx": "as an ONNX model folder: model.onnx is run by ONNX Runtime on the CPU, with this folder's tokenizer and "
    "metacompress.json",
}


def _card(record: dict[str, Any], name: str) -> str:
    sizes = record["bytes"]

    def change(before: int, after: int) -> str:
        return f"{before:,} -> {after:,} bytes ({after / before:.2f}x)"

    settings = ", ".join(f"{k} {v}" for k, v in record["settings"].items())
    rows = [
        ("source", f"`{record['source']['path']}`, fingerprint `{record['source']['fingerprint']}`"),
        ("method", f"`{record['method']}`: {_METHOD_TEXT[record['method']]}"),
        ("settings", settings),
        ("weights on disk", change(sizes["weights_before"], sizes["weights_after"])),
        ("model files on disk", change(sizes["files_before"], sizes["files_after"])),
    ]
    if "sparsity" in record:
        s = record["sparsity"]
        layers = s["per_layer"].values()
        rows.append(
            (
                "achieved sparsity",
                f"{s['achieved']:.4f} of the {s['pruned_weights']:,} pruned weights (layers {min(layers):.3f}-"
                f"{max(layers):.3f}); {s['share_of_all_weights_zero']:.4f} of all {s['all_weights']:,} weights",
            )
        )
    if "stored_dtypes" in record:
        rows.append(("stored as", ", ".join(record["stored_dtypes"])))
    if "tensors" in record:
        rows.append(("graph initialisers", ", ".join(f"{v:,} {k}" for k, v in record["tensors"].items())))
    spot = record["spot_check"]
    rows.append(
        (
            "check",
            f"largest probability difference from the source on {spot['inputs']} built-in inputs: "
            f"{spot['max_abs_diff']:.2e}",
        )
    )
    rows.append(("fingerprint", f"`{record['fingerprint']}`"))
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return f"""# {name}

Made by `metacompress compress --method {record["method"]}` (MetaCompress {record["metacompress"]}) from
`{record["source"]["path"]}`. `compression.json` holds the same facts.

| | |
|---|---|
{table}

**How MetaCompress loads it:** {_LOADING[record["method"]]}.

Tokenizer files, config.json and metacompress.json come from the source unchanged (config.json is written by
save_pretrained for fp16). The source's README.md and metrics.json are not carried over: their scores were
measured on the source. Measure this model with `python -m metacompress_core.models.accuracy {name}`.
"""
