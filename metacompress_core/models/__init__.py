"""Model backends: local HF directories and manifest-described state dicts, batched, on CUDA or CPU, cached.

torch and transformers load only when a backend is built, so importing this package stays cheap.
"""

from metacompress_core.models.base import (
    TASK_LABELS,
    Backend,
    ModelInput,
    canonical_task,
    check_compatible,
    input_digest,
)
from metacompress_core.models.cache import CachedBackend, PredictionCache, default_cache_dir
from metacompress_core.models.loading import load_backend, local_model_path

__all__ = [
    "TASK_LABELS",
    "Backend",
    "CachedBackend",
    "ModelInput",
    "PredictionCache",
    "canonical_task",
    "check_compatible",
    "default_cache_dir",
    "input_digest",
    "load_backend",
    "local_model_path",
]
