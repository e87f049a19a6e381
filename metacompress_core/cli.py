"""The `metacompress` command line."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence

from metacompress_core import __version__
from metacompress_core.errors import MetaCompressError

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _cmd_transform(args: argparse.Namespace) -> int:
    from metacompress_core.code import detect_language, read_source
    from metacompress_core.transforms import TRANSFORMS, get_transform
    from metacompress_core.transforms.whole_file import transform_file

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

    from metacompress_core.distill.commands import add_distill_parser

    add_distill_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
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


if __name__ == "__main__":
    sys.exit(main())
