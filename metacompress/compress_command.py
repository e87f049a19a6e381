"""`metacompress compress`: the arguments -> metacompress_core.compress.compress, and a summary of what it wrote
(sizes before and after, the achieved sparsity, the spot check against the source)."""

from __future__ import annotations

import argparse

from metacompress_core.compress import DEFAULT_SPARSITY, METHODS, compress

DESCRIPTION = "`metacompress compress`: compress a Hugging Face model folder without distillation."


def add_compress_parser(sub) -> None:
    c = sub.add_parser(
        "compress",
        help="compress a Hugging Face model folder: int8 (ONNX), fp16 or pruning",
        description=DESCRIPTION,
    )
    c.add_argument("--method", required=True, choices=METHODS, help="how to compress")
    c.add_argument("--teacher", required=True, help="the Hugging Face model folder to compress")
    c.add_argument("--out", required=True, help="a new (or empty) folder for the compressed model")
    c.add_argument(
        "--sparsity",
        type=float,
        help=f"prune only: the share of the encoder's Linear weights set to zero, in (0, 1) (default {DEFAULT_SPARSITY})",
    )
    c.add_argument("--threads", type=int, help="CPU threads for torch and ONNX Runtime")
    c.set_defaults(run=_cmd_compress)


def _cmd_compress(args: argparse.Namespace) -> int:
    record = compress(args.method, args.teacher, args.out, sparsity=args.sparsity, threads=args.threads)
    sizes = record["bytes"]
    lines = [
        f"wrote {args.out}: {args.method} of {args.teacher}",
        f"weights {sizes['weights_before']:,} -> {sizes['weights_after']:,} bytes "
        f"(model files {sizes['files_before']:,} -> {sizes['files_after']:,})",
    ]
    if "sparsity" in record:
        lines.append(f"sparsity of the pruned weights: {record['sparsity']['achieved']:.4f}")
    spot = record["spot_check"]
    lines.append(
        f"largest probability difference from the source on {spot['inputs']} built-in inputs: {spot['max_abs_diff']:.2e}"
    )
    print("\n".join(lines))
    return 0
