"""Entry point: `metacompress serve` / `python -m metacompress_server` run the language server over stdio with a log."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from metacompress_server.handlers import build_server


def setup_logging(log_file: str | None, level: str = "INFO") -> None:
    """Log to stderr (clients show it in their server log) and, when asked, to a file."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    if logging.getLogger().level > logging.DEBUG:
        logging.getLogger("pygls").setLevel(logging.WARNING)  # it logs every message at INFO


def serve(log_file: str | None = None, log_level: str = "INFO") -> int:
    setup_logging(log_file, log_level)
    server = build_server()
    server.start_io()
    server.exit_process(0)  # the client is gone (end of input): a check still running must not keep us alive
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m metacompress_server", description="the MetaCompress language server"
    )
    parser.add_argument("--log-file", help="also write the log to this file")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    args = parser.parse_args(argv)
    return serve(args.log_file, args.log_level)
