"""Dataset-scale evaluation (`metacompress eval`): accuracy, attacks, relation violation rates, calibration and
representational fidelity of students against their teacher, written as results.json, report.md, report.html."""

from metacompress_core.evaluation.models import ModelSpec
from metacompress_core.evaluation.records import EvalSettings
from metacompress_core.evaluation.runner import ENGINES, EvalConfig, run_eval

__all__ = ["ENGINES", "EvalConfig", "EvalSettings", "ModelSpec", "run_eval"]
