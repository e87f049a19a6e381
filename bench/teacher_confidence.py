"""How decisive the teacher is on what a check sends it: the share of model inputs where its top probability is
at least 0.9 (and 0.7, the evidence policy's reference level), on the originals and on all variants.

It runs the same check as `metacompress check PATHS` (embedded default models, default settings) with the
teacher wrapped so that every input it answers is recorded, then prints the shares and the findings by level.

    python bench/teacher_confidence.py examples/java
    python bench/teacher_confidence.py examples/c --budget 16
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import Recording  # noqa: E402  (bench/engine.py: inputs, outputs and time of a backend)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--budget", type=int, default=None, help="variants per function (default: check's)")
    args = parser.parse_args()

    from metacompress_core.check import load_pair, model_pair
    from metacompress_core.code import detect_language, extract_units, read_source
    from metacompress_core.code.files import source_files
    from metacompress_core.config import find_settings_file, load_settings, with_overrides
    from metacompress_core.engine import check_units

    settings = with_overrides(load_settings(find_settings_file(Path.cwd())), budget=args.budget)
    engine = settings.engine
    by_language: dict[str, list] = {}
    for file in source_files(args.paths):
        language = detect_language(file).name
        by_language.setdefault(language, []).extend(extract_units(read_source(file), language, str(file)))
    for language, units in by_language.items():
        teacher, student = load_pair(model_pair(language, settings, None, None, None), settings)
        recorder = Recording(teacher)
        findings = list(check_units(units, recorder, student, engine))
        rows = np.concatenate(recorder.outputs) if recorder.outputs else np.zeros((0, 2))
        top = rows.max(axis=1) if len(rows) else np.zeros(0)
        originals = np.array([f.original.teacher.max() for f in findings if f.original is not None])
        levels = {
            level: sum(f.severity == level for f in findings) for level in ("warning", "information", "hint")
        }
        print(f"{language}: {len(units)} functions, teacher {teacher.name}, student {student.name}")
        print(
            f"  teacher top probability >= 0.9 on {np.mean(top >= 0.9):.1%} of {len(top)} inputs sent "
            f"(>= 0.7: {np.mean(top >= 0.7):.1%}; median {np.median(top):.3f})"
        )
        if len(originals):
            print(f"  on the original code: >= 0.9 on {np.mean(originals >= 0.9):.1%} of {len(originals)}")
        print(f"  findings: {levels}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
