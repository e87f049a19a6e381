"""ONNX Runtime against torch eager fp32 on the CPU, on the inputs a check sends: a real-size teacher and the students.

The inputs are the variants `metacompress check` sends for the first `--units` C functions of the examples
(gathered by running the engine with the shipped student as both models: planning does not need the
teacher's weights). On them, each model's `predict` is timed with the torch backend and with the onnx
backend (after its one-time export, timed separately), with the same batch size and threads, best of
`--repeats`; the largest difference between their probabilities is printed too. The real-size teacher is
bench/scale.py's: CodeBERT's shape (125 M parameters, 512 tokens), random weights built here.

For the teacher it also prints the floating-point work of its batches (the encoder's matrix products:
2 x 85 M weights per position, plus attention's two products per layer) over the seconds taken, against
what one float32 matrix product of the feed-forward's shape (2048 x 768 by 768 x 3072) reaches on this
machine with the same threads, by torch and by ONNX Runtime: how close each backend is to what the cores
can do at all.

    python bench/onnx_speed.py --units 4 --inputs 96 --threads 2
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import Recording, load_units  # noqa: E402  (bench/engine.py)
from scale import build_teacher  # noqa: E402  (bench/scale.py)


def timed(backend, inputs, repeats: int):
    best, probs = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        probs = backend.predict(inputs)
        best = min(best, time.perf_counter() - start)
    return best, probs


def teacher_flops(backend, inputs) -> float:
    """Multiply-adds x 2 of a BERT-like encoder over the batches `backend.predict(inputs)` runs."""
    from metacompress_core.models.batching import padded_batches

    c = backend._model.config
    per_position = 2 * c.num_hidden_layers * (4 * c.hidden_size**2 + 2 * c.hidden_size * c.intermediate_size)
    lengths = [len(backend._encode(x)[0]) for x in inputs]
    flops = 0.0
    for batch in padded_batches(lengths, backend.options.batch_size, backend.options.max_padding):
        width = max(lengths[i] for i in batch)
        flops += len(batch) * (per_position * width + 4 * c.num_hidden_layers * c.hidden_size * width**2)
    return flops


def matmul_peaks(threads: int) -> dict[str, float]:
    """FLOP/s of one float32 matrix product of the feed-forward's shape (2048 x 768 by 768 x 3072), by torch
    and by ONNX Runtime, on `threads` threads, best of 8: the most either could do on this machine."""
    import numpy as np
    import onnxruntime as ort
    import torch
    from onnx import TensorProto, helper, numpy_helper

    torch.set_num_threads(threads)
    a, b = np.random.randn(2048, 768).astype(np.float32), np.random.randn(768, 3072).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["c"])],
        "matmul",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2048, 768])],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [2048, 3072])],
        [numpy_helper.from_array(b, "b")],
    )
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    runs = {"torch": lambda: ta @ tb, "onnxruntime": lambda: session.run(None, {"a": a})}
    peaks = {}
    for name, run in runs.items():
        best = float("inf")
        for _ in range(8):
            start = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - start)
        peaks[name] = 2 * 2048 * 768 * 3072 / best
    return peaks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=4)
    parser.add_argument("--inputs", type=int, default=96, help="inputs timed per model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--max-padding",
        type=float,
        default=None,
        help="share of a batch that may be padding (default: the library's; 1: fixed-size batches)",
    )
    parser.add_argument(
        "--int8", action="store_true", help="also the teacher quantised to int8 (an ONNX folder)"
    )
    args = parser.parse_args()

    from metacompress_core.compress import compress
    from metacompress_core.default_models import ROOT
    from metacompress_core.engine import EngineConfig, check_units
    from metacompress_core.models.device import DeviceOptions
    from metacompress_core.models.hf import HFBackend
    from metacompress_core.models.onnx_runtime import CACHE_ENV

    torch_options = DeviceOptions(device="cpu", threads=args.threads, batch_size=args.batch_size)
    if args.max_padding is not None:
        torch_options = replace(torch_options, max_padding=args.max_padding)
    onnx_options = replace(torch_options, backend="onnx")
    student_dir = ROOT / "vuln" / "compressor"
    with tempfile.TemporaryDirectory() as tmp:
        os.environ[CACHE_ENV] = str(Path(tmp) / "onnx")  # a cold export, timed; nothing kept
        recorder = Recording(HFBackend(student_dir, options=torch_options))
        list(check_units(load_units(args.units), recorder, recorder, EngineConfig()))
        inputs = list(dict.fromkeys(recorder.inputs))[: args.inputs]
        print(
            f"{len(inputs)} distinct inputs the engine sends for {args.units} example functions; "
            f"{args.threads} threads, batch {args.batch_size} (at most {torch_options.max_padding:.0%} padding), "
            f"best of {args.repeats}"
        )
        teacher = Path(tmp) / "codebert-size-teacher"
        build_teacher(teacher, student_dir)
        models = [("teacher, CodeBERT size (125 M)", teacher)]
        if args.int8:
            start = time.perf_counter()
            compress("int8", teacher, Path(tmp) / "codebert-size-int8")
            print(
                f"int8 ONNX folder of the CodeBERT-size teacher made in {time.perf_counter() - start:.0f} s"
            )
            models.append(("the same, int8 (compress --method int8)", Path(tmp) / "codebert-size-int8"))
        models += [(f"student {d.name}", d) for d in sorted((ROOT / "vuln").iterdir()) if d.name != "teacher"]
        models += [("shipped teacher (vuln)", ROOT / "vuln" / "teacher")]
        print("| model | torch s | onnx s | speed-up | export s | max prob diff |")
        print("|---|--:|--:|--:|--:|--:|")
        reference = None  # the torch fp32 CodeBERT-size teacher: (seconds, probabilities)
        ceiling = []  # the CodeBERT-size teacher's (work, torch s, onnx s)
        for label, folder in models:
            if (folder / "model.onnx").is_file():  # an ONNX folder: ONNX Runtime whatever the backend
                backend = HFBackend(folder, options=torch_options)
                backend.predict(inputs[:2])
                onnx_s, onnx_p = timed(backend, inputs, args.repeats)
                ref_s, ref_p = reference
                diff = float(abs(onnx_p - ref_p).max())
                print(
                    f"| {label} | {ref_s:.2f} (fp32) | {onnx_s:.2f} | {ref_s / onnx_s:.2f}x | | {diff:.1e} vs fp32 |"
                )
                continue
            torch_backend = HFBackend(folder, options=torch_options)
            torch_backend.predict(inputs[:2])  # warm-up
            torch_s, torch_p = timed(torch_backend, inputs, args.repeats)
            if reference is None:
                reference = (torch_s, torch_p)
                work = teacher_flops(torch_backend, inputs)
            del torch_backend
            onnx_backend = HFBackend(folder, options=onnx_options)
            start = time.perf_counter()
            onnx_backend.predict(inputs[:2])  # the export and session start
            export_s = time.perf_counter() - start
            onnx_s, onnx_p = timed(onnx_backend, inputs, args.repeats)
            diff = float(abs(onnx_p - torch_p).max())
            print(
                f"| {label} | {torch_s:.2f} | {onnx_s:.2f} | {torch_s / onnx_s:.2f}x | {export_s:.1f} | {diff:.1e} |"
            )
            sys.stdout.flush()
            if not ceiling:
                ceiling = [work, torch_s, onnx_s]
        work, torch_s, onnx_s = ceiling
        peaks = matmul_peaks(args.threads)
        print(
            f"CodeBERT-size teacher: {work / 1e12:.2f} TFLOP in its batches; torch {work / torch_s / 1e9:.0f} "
            f"GFLOP/s, onnx {work / onnx_s / 1e9:.0f} GFLOP/s. One float32 matrix product of the feed-forward's "
            f"shape on {args.threads} threads: torch {peaks['torch'] / 1e9:.0f}, ONNX Runtime "
            f"{peaks['onnxruntime'] / 1e9:.0f} GFLOP/s; all of the teacher's work at the faster of them would be "
            f"{max(peaks.values()) * torch_s / work:.2f}x torch"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
