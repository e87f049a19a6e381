"""Proof that transforms keep Java and C code compilable: data readers, javac/gcc batch compilers, rates.

Shared by tests/test_validity_*.py (a CI-sized sample) and bench/transforms.py (all available data).
"""
