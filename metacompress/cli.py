"""The `metacompress` command line: argument parsing, printing and exit codes over metacompress_core.

Nothing on the path of `--help` or `transform` imports torch or transformers (tests/test_cli_transform.py): the
core modules imported here load models lazily, and the language server (pygls) is imported by `serve` alone.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from metacompress.compress_command import add_compress_parser
from metacompress.distill_command import add_distill_parser
from metacompress.eval_command import add_eval_parser
from metacompress_core import __version__
from metacompress_core.check import check_paths, run_check
from metacompress_core.code import detect_language, read_source
from metacompress_core.config import (
    check_budget,
    check_fail_on,
    check_strategy,
    find_settings_file,
    load_settings,
    with_overrides,
)
from metacompress_core.errors import MetaCompressError
from metacompress_core.report import render, summarise, write_atomic
from metacompress_core.report.baseline import compare, load_baseline
from metacompress_core.report.progress import ProgressBar
from metacompress_core.transforms import TRANSFORMS, get_transform
from metacompress_core.transforms.whole_file import transform_file

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def _cmd_transform(args: argparse.Namespace) -> int:
    if args.list:
        for t in TRANSFORMS.values():
            langs = ",".join(lang for lang in ("java", "c", "python") if lang in t.languages)
            print(f"{t.name}\t{langs}\t{t.description}")
        return EXIT_OK
    if args.file is None:
        raise MetaCompressError("transform needs a FILE (or --list to see the transforms)")
    transform = get_transform(args.transform)
    language = detect_language(args.file)
    source = read_source(args.file)
    result = transform_file(source, language, transform, args.seed, args.function, args.file)
    if args.source:
        sys.stdout.write(result.source)
    else:
        sys.stdout.writelines(
            difflib.unified_diff(
                source.splitlines(keepends=True),
                result.source.splitlines(keepends=True),
                fromfile=f"a/{args.file}",
                tofile=f"b/{args.file}",
            )
        )
    if not result.variants:
        print(f"{transform.name}: nothing to transform in {args.file}", file=sys.stderr)
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    # Everything the user can get wrong is refused here, before any model loads or any function is checked.
    if args.budget is not None:
        check_budget(args.budget, "--budget")
    if args.compositions is not None and args.compositions < 0:
        raise MetaCompressError(f"--compositions must be a whole number, at least 0; got {args.compositions}")
    if args.strategy is not None:
        check_strategy(args.strategy, "--strategy")
    if args.fail_on is not None:
        check_fail_on(args.fail_on, "--fail-on")
    if args.output:
        _check_output(Path(args.output))
    if args.config:
        check_paths([args.config])
        if not Path(args.config).is_file():
            raise MetaCompressError(f"settings file {args.config} does not exist or is not a file")
    check_paths(args.paths)
    baseline = None
    if args.baseline:
        baseline = load_baseline(args.baseline)
    settings_file = Path(args.config) if args.config else find_settings_file(Path(args.paths[0]))
    settings = with_overrides(
        load_settings(settings_file),
        budget=args.budget,
        compositions=args.compositions,
        seed=args.seed,
        strategy=args.strategy,
        transforms=tuple(args.transforms.split(",")) if args.transforms else None,
    )
    if args.no_cache or args.cache_dir:
        settings = replace(
            settings, cache=not args.no_cache, cache_dir=Path(args.cache_dir) if args.cache_dir else None
        )
    if args.device or args.threads is not None or args.backend:
        settings = replace(
            settings,
            device=replace(
                settings.device,
                device=args.device or settings.device.device,
                threads=args.threads if args.threads is not None else settings.device.threads,
                backend=args.backend or settings.device.backend,
            ),
        )
    fail_on = args.fail_on if args.fail_on is not None else settings.fail_on
    if args.transforms:
        for name in settings.engine.transforms:
            get_transform(name)  # an unknown name is a usage error, before any model loads

    bar = ProgressBar(enabled=sys.stderr.isatty() and not args.quiet, unit="functions")

    def progress(done: int, total: int, finding) -> None:
        bar.update(done, total)

    result = run_check(
        args.paths,
        settings,
        args.teacher,
        args.student,
        args.task,
        args.allow_pickle,
        progress,
        args.weights_dir,
    )
    bar.close()
    for line in result.skipped:
        print(f"metacompress: skipped {line}", file=sys.stderr)
    for line in result.notes:
        print(f"metacompress: note: {line}", file=sys.stderr)
    teacher, student = next(iter(result.models.values()), (None, None))
    summary = summarise(
        result.findings, teacher, student, settings.engine, result.files, result.elapsed, result.skipped
    )
    color = sys.stdout.isatty() and args.output is None
    text = render(args.format, result.findings, summary, color=color, sources=result.texts, baseline=baseline)
    if args.output:
        write_atomic(Path(args.output), text)
    else:
        sys.stdout.write(text)
    code = EXIT_OK
    if baseline is not None:
        comparison = compare(baseline, result.findings, summary)
        for note in comparison.notes:
            print(f"metacompress: note: {note}", file=sys.stderr)
        print(comparison.line(), file=sys.stderr)
        code = EXIT_FAIL if comparison.worse else code
    if fail_on is not None and summary.violation_rate > fail_on:
        print(
            f"metacompress: violation rate {summary.violation_rate:.3f} exceeds --fail-on {fail_on}",
            file=sys.stderr,
        )
        code = EXIT_FAIL
    return code


def _check_output(path: Path) -> None:
    """The report can be written there: its folder exists and is writable, and it is not a folder itself."""
    folder = path.parent
    if path.is_dir():
        raise MetaCompressError(f"--output {path} is a folder: pass a file name")
    if not folder.is_dir():
        raise MetaCompressError(f"--output {path}: the folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK):
        raise MetaCompressError(f"--output {path}: the folder {folder} is not writable")


def _cmd_serve(args: argparse.Namespace) -> int:
    from metacompress_server.app import serve  # deferred: pygls, lsprotocol (the server extra)

    return serve(args.log_file, args.log_level)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="metacompress",
        description="Find where a compressed code model departs from its teacher under behaviour-preserving code changes.",
    )
    parser.add_argument("--version", action="version", version=f"metacompress {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("transform", help="apply a behaviour-preserving transform to every function of a file")
    t.add_argument("file", nargs="?", help="a .java, .c or .py file")
    t.add_argument(
        "--list", action="store_true", help="list the transforms: NAME<TAB>languages<TAB>description"
    )
    t.add_argument(
        "--transform", "-t", default="rename-variable", help="transform name (default: %(default)s)"
    )
    t.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    t.add_argument("--function", help="only this function (qualified name, e.g. Outer.method)")
    t.add_argument("--source", action="store_true", help="print the whole transformed file instead of a diff")
    t.set_defaults(run=_cmd_transform)

    c = sub.add_parser(
        "check",
        help="check where a student departs from its teacher on behaviour-preserving variants of your code",
    )
    c.add_argument("paths", nargs="+", metavar="PATH", help="source files and directories")
    c.add_argument("--teacher", help="teacher model: a local HF directory or a MetaCompress manifest")
    c.add_argument("--student", help="student model: a local HF directory or a MetaCompress manifest")
    c.add_argument("--task", choices=["vuln", "clone"], help="the models' task (default: from the models)")
    c.add_argument(
        "--format",
        "-f",
        default="table",
        choices=["table", "json", "sarif", "markdown"],
        help="report format",
    )
    c.add_argument("--output", "-o", help="write the report to this file (atomically) instead of stdout")
    c.add_argument(
        "--fail-on",
        type=float,
        metavar="RATE",
        help="exit 1 when the violation rate (inputs breaking a relation / inputs checked) exceeds RATE",
    )
    c.add_argument(
        "--baseline",
        metavar="FILE",
        help="the JSON report (-f json) of an earlier run: exit 1 when this run is significantly worse "
        "(one-sided test at 5%%: McNemar's exact test over the functions, on the inputs both runs checked; "
        "else the rates with their cluster-robust errors; docs/CI.md); SARIF results get baselineState. "
        "With --fail-on too, the run fails when either says so",
    )
    c.add_argument("--budget", type=int, help="variants per function (default 16)")
    c.add_argument(
        "--compositions",
        type=int,
        help="of the variants, how many are random compositions of transforms (default 4); the editor's hover "
        "names the value that reproduces a check it deepened while idle",
    )
    c.add_argument("--seed", type=int, help="random seed (default 0)")
    c.add_argument(
        "--strategy",
        help="how variants are chosen: default (each transform once, then compositions) or a search that "
        "learns from the models' outputs and stops at the first variant that gives a Warning: guided, random, greedy, ga, mhm "
        "(docs/SEARCH.md); look harder at a function with --strategy guided --budget 64",
    )
    c.add_argument("--transforms", help="comma-separated transform names (default: all of the language's)")
    c.add_argument("--config", help="settings file (default: nearest .metacompress.toml or pyproject.toml)")
    c.add_argument("--cache-dir", help="prediction cache directory (default ~/.cache/metacompress)")
    c.add_argument("--no-cache", action="store_true", help="do not read or write the prediction cache")
    c.add_argument("--device", choices=["auto", "cpu", "cuda"], help="where models run (default auto)")
    c.add_argument("--threads", type=int, help="CPU threads for the models")
    c.add_argument(
        "--backend",
        choices=["torch", "onnx"],
        help="what runs Hugging Face models: torch (default) or ONNX Runtime on the CPU (the onnx extra)",
    )
    c.add_argument(
        "--allow-pickle",
        action="store_true",
        help="allow pickled .bin weights (loaded with torch.load(weights_only=True)); safetensors otherwise",
    )
    c.add_argument(
        "--weights-dir", help="folder that model manifests' weight and tokenizer paths are relative to"
    )
    c.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    c.set_defaults(run=_cmd_check)

    s = sub.add_parser("serve", help="run the language server over stdio (for editors)")
    s.add_argument("--log-file", help="also write the server log to this file (it always goes to stderr)")
    s.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR (default: %(default)s)")
    s.set_defaults(run=_cmd_serve)

    add_distill_parser(sub)
    add_eval_parser(sub)
    add_compress_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Model loading is ours to report: no library progress bars or advisory warnings on the terminal.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except MetaCompressError as e:
        print(f"metacompress: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("metacompress: interrupted", file=sys.stderr)
        return 130
    except OSError as e:  # a file or folder the user named cannot be read or written
        where = f" ({e.filename})" if e.filename else ""
        print(f"metacompress: error: {e.strerror or e}{where}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as e:  # a bug: not exit 1 (CI reads that as "violation rate exceeded"), no traceback
        if os.environ.get("METACOMPRESS_DEBUG"):
            raise
        print(
            f"metacompress: internal error: {type(e).__name__}: {e} (a bug: please report it; "
            "METACOMPRESS_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
