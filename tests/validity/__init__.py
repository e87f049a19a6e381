"""Proof that transforms keep behaviour: Java and C code compilable (data readers, javac/gcc batch compilers,
rates), C projects' and CPython modules' own test suites passing on transformed copies (c_projects,
python_suites), and what callers can see of a Python function unchanged (python_interface).

Shared by the tests (test_validity_*.py: a CI-sized sample; test_c_projects.py, test_python_stdlib_suites.py)
and the benchmarks (bench/transforms.py, bench/c_projects.py, bench/python_validity.py: all available data).
"""
