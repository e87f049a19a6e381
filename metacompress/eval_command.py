"""`metacompress eval`: arguments -> EvalConfig -> metacompress_core.evaluation.run_eval, with a progress bar
on a TTY, a line per model and the baseline's verdict; exit 1 when a student is significantly worse than the
baseline's."""

from __future__ import annotations

import argparse
import sys

from metacompress_core.default_models import embedded_models
from metacompress_core.errors import MetaCompressError
from metacompress_core.evaluation import EvalConfig, EvalSettings, ModelSpec, run_eval
from metacompress_core.evaluation.baseline import load_eval_baseline
from metacompress_core.models.base import canonical_task
from metacompress_core.plan import STRATEGIES as ATTACKS
from metacompress_core.report.progress import ProgressBar
from metacompress_core.transforms import get_transform


def add_eval_parser(sub) -> None:
    e = sub.add_parser(
        "eval",
        help="evaluate students against their teacher on a dataset: accuracy, attacks, relations, calibration, CKA",
    )
    e.add_argument("--task", required=True, help="vuln (Devign) or clone (BigCloneBench)")
    e.add_argument("--dataset", required=True, help="Devign JSONL file / BCB pairs file, or their folder")
    e.add_argument("--split", default="test", help="dataset split (default: %(default)s)")
    e.add_argument(
        "--teacher",
        help="teacher: a local HF directory or a MetaCompress manifest (default: the task's embedded teacher)",
    )
    e.add_argument(
        "--student",
        action="append",
        help="a student (repeat for several; default: the task's three embedded students)",
    )
    e.add_argument(
        "--attack", action="append", default=[], help=f"attack strategy ({', '.join(ATTACKS)}); repeatable"
    )
    e.add_argument("--budget", type=int, default=100, help="model queries per attack (default: %(default)s)")
    e.add_argument(
        "--variants", type=int, default=16, help="transformed variants per input (default: %(default)s)"
    )
    e.add_argument("--transforms", help="comma-separated transform names (default: all of the language's)")
    e.add_argument("--limit", type=int, help="only the first N examples of the split")
    e.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    e.add_argument("--engine", default="local", help="local (this process) or ray (Ray Data)")
    e.add_argument("--replicas", type=int, help="ray: model replicas (default: one per GPU, else one)")
    e.add_argument("--chunk", type=int, default=8, help="inputs per model call and per resume step")
    e.add_argument(
        "--cka-inputs", type=int, default=256, help="originals compared by CKA (default: %(default)s)"
    )
    e.add_argument("--out", required=True, help="output folder: records.jsonl, results.json, report.md/.html")
    e.add_argument(
        "--baseline",
        metavar="DIR",
        help="the --out folder of an earlier eval: compare each student with the baseline's student of the same "
        "role on the inputs both evaluated and exit 1 when one is significantly worse (one-sided, 5%%: McNemar's "
        "exact test over the functions, as check --baseline; docs/REPRODUCTION.md)",
    )
    e.add_argument(
        "--weights-dir", help="folder that model manifests' weight and tokenizer paths are relative to"
    )
    e.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto", help="where models run")
    e.add_argument("--threads", type=int, help="CPU threads for the models")
    e.add_argument("--batch-size", type=int, default=32, help="model batch size (default: %(default)s)")
    e.add_argument("--allow-pickle", action="store_true", help="allow pickled .bin weights in HF directories")
    e.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    e.set_defaults(run=_cmd_eval)


def _cmd_eval(args: argparse.Namespace) -> int:
    task = canonical_task(args.task)
    if (args.teacher is None) != (not args.student):
        raise MetaCompressError(
            "pass --teacher with at least one --student, or neither (the task's embedded teacher and students)"
        )
    teacher, students = (args.teacher, tuple(args.student)) if args.teacher else embedded_models(task)
    if args.chunk < 1 or args.variants < 0:
        raise MetaCompressError("--chunk must be at least 1 and --variants at least 0")
    transforms = tuple(args.transforms.split(",")) if args.transforms else None
    if transforms:
        for name in transforms:
            get_transform(name)
    baseline = None
    if args.baseline:
        baseline = load_eval_baseline(args.baseline, task)
    config = EvalConfig(
        task=task,
        dataset=args.dataset,
        out=args.out,
        models=ModelSpec(
            task=task,
            teacher=str(teacher),
            students=tuple(str(s) for s in students),
            weights_dir=args.weights_dir,
            allow_pickle=args.allow_pickle,
            device=args.device,
            threads=args.threads,
            batch_size=args.batch_size,
        ),
        settings=EvalSettings(
            seed=args.seed,
            variants=args.variants,
            transforms=transforms,
            attacks=tuple(dict.fromkeys(args.attack)),
            budget=args.budget,
            chunk=args.chunk,
        ),
        split=args.split,
        limit=args.limit,
        engine=args.engine,
        replicas=args.replicas,
        cka_inputs=args.cka_inputs,
    )
    bar = ProgressBar(enabled=sys.stderr.isatty() and not args.quiet)
    results = run_eval(config, bar.update, baseline)
    bar.close()
    acc = results["accuracy"]
    for role, m in results["models"].items():
        print(
            f"{role}: {m['name']}: accuracy {acc[role]['original']['accuracy']:.4f}, F1 {acc[role]['original']['f1']:.4f}"
        )
    print(
        f"wrote {args.out}/results.json, report.md, report.html ({results['timing']['total_seconds']:.1f} s)"
    )
    if baseline is None:
        return 0
    for note in results["baseline"]["notes"]:
        print(f"metacompress: note: {note}", file=sys.stderr)
    compared = results["baseline"]["students"].values()
    for entry in compared:
        print(entry["line"], file=sys.stderr)
    return 1 if any(entry["worse"] for entry in compared) else 0
