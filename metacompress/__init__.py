"""The `metacompress` command line (cli.py). The engine is metacompress_core, the language server
metacompress_server; this package imports both, and neither imports it."""
