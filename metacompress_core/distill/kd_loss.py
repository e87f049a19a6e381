"""Distillation losses on the teacher's soft labels (probabilities; their logs stand in for its logits)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def soft_targets(teacher_probs: torch.Tensor, temperature: float) -> torch.Tensor:
    """The teacher's distribution softened by a temperature: softmax(log p / T)."""
    return torch.softmax(torch.log(teacher_probs.clamp_min(1e-8)) / temperature, dim=-1)


def kd_loss(
    student_logits: torch.Tensor, teacher_probs: torch.Tensor, temperature: float = 1.0, cosine: float = 0.0
) -> torch.Tensor:
    """T^2 * KL(teacher_T || student_T) (Hinton et al.; what Compressor and AVATAR minimise), plus, for MORPH,
    `cosine` * (1 - cosine similarity) between the student's and the teacher's softened probability vectors."""
    target = soft_targets(teacher_probs, temperature)
    log_student = F.log_softmax(student_logits.float() / temperature, dim=-1)
    loss = F.kl_div(log_student, target, reduction="batchmean") * temperature**2
    if cosine:
        similarity = F.cosine_similarity(log_student.exp(), target, dim=-1)
        loss = loss + cosine * (1.0 - similarity).mean()
    return loss
