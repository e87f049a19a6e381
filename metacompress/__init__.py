"""The `metacompress` command line: cli.py (the parser, transform, check, serve, exit codes) and one module per
command that builds its parser and calls the core (eval_command.py, distill_command.py, compress_command.py).
The engine is metacompress_core, the language server metacompress_server; this package imports both, and
neither imports it."""
