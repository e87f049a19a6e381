"""The embedded default models: a teacher and distilled students per task, shipped inside the package.

Layout: default_models/<task>/<role>/ (HF save_pretrained directories), role = teacher | compressor | avatar
| morph. The task of a language: vulnerability prediction for C, clone detection for Java.
"""

from __future__ import annotations

from pathlib import Path

from metacompress_core.errors import MetaCompressError

ROOT = Path(__file__).resolve().parent / "default_models"
TASK_OF_LANGUAGE = {"c": "vuln", "java": "clone"}
DEFAULT_STUDENT = "compressor"
EMBEDDED_STUDENTS = ("compressor", "avatar", "morph")


def default_pair(language: str, student: str = DEFAULT_STUDENT) -> tuple[Path, Path, str]:
    """(teacher dir, student dir, task) of the embedded defaults for `language`, or a MetaCompressError."""
    task = TASK_OF_LANGUAGE.get(language)
    if task is None:
        raise MetaCompressError(
            f"there are no embedded default models for {language}: pass --teacher DIR --student DIR "
            f"(any local Hugging Face sequence classifiers), or set [tool.metacompress.models.{language}]"
        )
    teacher, chosen = ROOT / task / "teacher", ROOT / task / student
    missing = [p for p in (teacher, chosen) if not (p / "config.json").is_file()]
    if missing:
        raise MetaCompressError(
            f"the embedded default models for {language} ({task}) are not installed "
            f"({', '.join(str(p) for p in missing)} missing): pass --teacher DIR --student DIR, "
            f"or set [tool.metacompress.models.{language}]"
        )
    return teacher, chosen, task


def embedded_models(task: str) -> tuple[Path, tuple[Path, ...]]:
    """The embedded teacher of `task` and its three students (Compressor, AVATAR, MORPH), as `check` uses."""
    teacher = ROOT / task / "teacher"
    students = tuple(ROOT / task / name for name in EMBEDDED_STUDENTS)
    missing = [p for p in (teacher, *students) if not (p / "config.json").is_file()]
    if missing:
        raise MetaCompressError(
            f"the embedded {task} models are not installed ({', '.join(str(p) for p in missing)} missing): "
            "pass --teacher DIR --student DIR"
        )
    return teacher, students
