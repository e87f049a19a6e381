"""Where and how a model runs: CUDA when present (optionally in half precision), else CPU with a thread count."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from metacompress_core.errors import MetaCompressError

if TYPE_CHECKING:
    import torch

# The share of a batch's computed positions (rows x its longest input) that may be padding (models/batching.py):
# on a CPU a big model computes a padded position at the cost of a token, and gains nothing from batching.
MAX_PADDING = 0.1


@dataclass(frozen=True)
class DeviceOptions:
    device: str = "auto"  # "auto" (CUDA when present, else CPU) | "cpu" | "cuda" | "cuda:N"
    half: bool = False  # float16 weights and activations; only applied on CUDA
    threads: int | None = None  # CPU intra-op threads (torch.set_num_threads); None keeps torch's default
    batch_size: int = 32
    backend: str = (
        "torch"  # "torch" | "onnx" (ONNX Runtime on the CPU, Hugging Face folders: onnx_runtime.py)
    )
    max_padding: float = MAX_PADDING  # a batch is cut before it would be more padding than this; 1: never

    def __post_init__(self) -> None:
        if self.backend not in ("torch", "onnx"):
            raise MetaCompressError(f'unknown backend {self.backend!r}: use "torch" or "onnx"')
        if self.backend == "onnx" and self.device.strip().lower().startswith("cuda"):
            raise MetaCompressError(
                "the onnx backend runs on the CPU: use device cpu (or auto) with it, or the torch backend on CUDA"
            )
        if self.batch_size < 1:
            raise MetaCompressError(f"batch size must be at least 1, got {self.batch_size}")
        if self.threads is not None and self.threads < 1:
            raise MetaCompressError(f"thread count must be at least 1, got {self.threads}")
        if not 0 <= self.max_padding <= 1:
            raise MetaCompressError(f"max_padding must be between 0 and 1, got {self.max_padding}")


def resolve_device(options: DeviceOptions) -> torch.device:
    import torch

    name = options.device.strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise MetaCompressError(
                f"device {options.device!r} was asked for, but no CUDA device is available"
            )
        return torch.device(name)
    if name == "cpu":
        return torch.device("cpu")
    raise MetaCompressError(f"unknown device {options.device!r}: use auto, cpu or cuda")


def named_device(name: str) -> torch.device:
    """The torch device a `--device` value names (auto, cpu, cuda, cuda:N), or a MetaCompressError."""
    return resolve_device(DeviceOptions(device=name))


def prepare(model: torch.nn.Module, options: DeviceOptions) -> tuple[torch.nn.Module, torch.device, bool]:
    """Move `model` to its device in eval mode; returns (model, device, whether it runs in half precision)."""
    import torch

    device = resolve_device(options)
    if options.backend == "onnx":
        if options.device.strip().lower().startswith("cuda"):
            raise MetaCompressError(
                "the onnx backend runs on the CPU; use --device cpu, or the torch backend on CUDA"
            )
        device = torch.device("cpu")  # ONNX Runtime runs the model; torch only exports it
    if device.type == "cpu" and options.threads:
        # torch's thread pool is per process; the last backend prepared decides it.
        torch.set_num_threads(options.threads)
    half = options.half and device.type == "cuda"
    model = model.to(device)
    if half:
        model = model.half()
    return model.eval(), device, half
