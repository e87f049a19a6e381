"""The MetaCompress language server: fidelity warnings, hovers and failing-variant actions in editors.

It only calls the engine (metacompress_core.engine) on the units of open documents; it never parses code or
runs models itself. Start it with `metacompress serve` (stdio) or `python -m metacompress_server`.
"""
