"""The engine with a real-size teacher: a RoBERTa-base-size classifier (CodeBERT's configuration) against the
shipped 3 MB vulnerability student, on C functions (the examples, then Devign test functions).

The teacher is built here: CodeBERT's shape (12 layers, hidden 768, 12 heads, feed-forward 3,072, 514 positions,
vocabulary 50,265: 125 M parameters) with random weights, saved in a temporary folder with the shipped student's
tokenizer and a sidecar (vulnerability task, 512 tokens). What it costs does not depend on its weights; nothing is
downloaded or kept. It prints, in one run (bench/engine.py's `measure`): engine wall, pure batched forward of
exactly the inputs the engine sent, their ratio, a per-input batch-1 loop (extrapolated), a warm-cache re-run;
then the model inputs that reach a model when one function is edited and the file re-checked (the rest come from
the cache), and the process's peak memory.

    python bench/scale.py --units 20 --threads 2        # the examples' 20 functions
    python bench/scale.py --repeats 2 --batch-timing 2   # engine and pure forward twice each, in turns; then
                                                        # the teacher's batches one by one, best of 2
    python bench/scale.py --max-padding 1                # fixed-size length-sorted batches (before padding caps)
    python bench/scale.py --units 200                   # + Devign test functions (needs ../shared/data)
    python bench/scale.py --units 200 --recheck-only    # only the cache figure: one cold check, then the edit
    python bench/scale.py --units 200 --recheck-only --layers 2   # the same inputs and cache figure, sooner
    python bench/scale.py --backend onnx                # the teacher and student run by ONNX Runtime
    python bench/scale.py --device cuda                 # on a GPU (the same figures; threads do not apply)
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import fill_cache, load_units, measure  # noqa: E402  (bench/engine.py)


def build_teacher(folder: Path, tokenizer_from: Path, layers: int = 12) -> None:
    import torch
    from transformers import RobertaConfig, RobertaForSequenceClassification

    torch.manual_seed(0)
    config = RobertaConfig(
        vocab_size=50265,
        hidden_size=768,
        num_hidden_layers=layers,
        num_attention_heads=12,
        intermediate_size=3072,
        max_position_embeddings=514,
        type_vocab_size=1,
        num_labels=2,
        pad_token_id=0,
    )
    RobertaForSequenceClassification(config).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tokenizer_from / name, folder / name)
    sidecar = {"task": "vuln", "labels": ["safe", "vulnerable"], "max_length": 512, "input_form": "single"}
    (folder / "metacompress.json").write_text(json.dumps(sidecar))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--budget", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument(
        "--max-padding",
        type=float,
        default=None,
        help="share of a batch that may be padding (default: the library's; 1: fixed-size batches, as before)",
    )
    parser.add_argument(
        "--repeats", type=int, default=1, help="engine and pure forward in turns, this many times each"
    )
    parser.add_argument(
        "--batch-timing",
        type=int,
        default=0,
        metavar="N",
        help="also time the teacher's batches one by one, best of N (fixed-size batches against the padding cap)",
    )
    parser.add_argument("--backend", choices=("torch", "onnx"), default="torch")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 ... (the onnx backend: cpu only)")
    parser.add_argument(
        "--layers",
        type=int,
        default=12,
        help="the teacher's layers (12: CodeBERT's); fewer cost less and send the same inputs (cache figures)",
    )
    parser.add_argument(
        "--recheck-only",
        action="store_true",
        help="skip the timings: one cold check through the cache, then the one-function edit (the cache figure)",
    )
    args = parser.parse_args()

    from metacompress_core.default_models import ROOT
    from metacompress_core.engine import EngineConfig, check_units
    from metacompress_core.models import CachedBackend, PredictionCache
    from metacompress_core.models.device import DeviceOptions
    from metacompress_core.models.hf import HFBackend

    options = DeviceOptions(
        device=args.device, threads=args.threads, batch_size=args.batch_size, backend=args.backend
    )
    if args.max_padding is not None:
        options = replace(options, max_padding=args.max_padding)
    student_dir = ROOT / "vuln" / "compressor"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "teacher"
        start = time.perf_counter()
        build_teacher(folder, student_dir, args.layers)
        teacher, student = HFBackend(folder, options=options), HFBackend(student_dir, options=options)
        params = sum(p.numel() for p in teacher._model.parameters())
        print(
            f"teacher: RoBERTa-base shape, {args.layers} layers, {params / 1e6:.1f} M parameters, 512 tokens (built in "
            f"{time.perf_counter() - start:.1f} s); student: the shipped vuln compressor (3 MB)"
        )
        units = load_units(args.units)
        config = EngineConfig(budget=args.budget)
        print(
            f"units: {len(units)} C functions, budget {args.budget}; {args.threads} threads, "
            f"batch {args.batch_size}, at most {options.max_padding:.0%} padding, backend {args.backend}"
        )
        # The cache of the warm re-run is kept: the edit below is re-checked against it.
        cache = PredictionCache(Path(tmp) / "cache")
        if args.recheck_only:
            start = time.perf_counter()
            fill_cache(units, teacher, student, config, cache)
            print(f"cold check through the cache: {time.perf_counter() - start:.1f} s")
        else:
            measure(
                teacher,
                student,
                units,
                config,
                args.repeats,
                args.batch_timing,
                cache_dir=Path(tmp) / "cache",
            )

        # Re-check after an edit of one function: only its inputs should reach a model.
        edited = list(units)
        first = edited[0]
        edited[0] = replace(first, source=first.source.replace("{", "{\n    int edited_here = 0;", 1))
        ct, cs = CachedBackend(teacher, cache), CachedBackend(student, cache)
        start = time.perf_counter()
        list(check_units(edited, ct, cs, config))
        seconds = time.perf_counter() - start
        asked = ct.hits + ct.model_inputs
        print(
            f"re-check after a one-function edit: {seconds:.2f} s; teacher inputs from the cache "
            f"{ct.hits}/{asked} ({ct.hits / max(asked, 1):.1%}), computed {ct.model_inputs}"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
