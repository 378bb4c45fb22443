"""Knowledge distillation (Hinton et al., 2015) from a frozen teacher network.

The student (the network being trained) matches the teacher's softened predictions::

    L = T^2 * KL( softmax(z_teacher / T) || softmax(z_student / T) )     (batch mean)

on the target batch, the source batch or both (``apply_to``). The teacher is a
:class:`~da.nets.heads.DANetwork` built from ``teacher`` (a backbone config and a
bottleneck width; by default the student's architecture) and loaded from
``teacher_path`` (a da.train checkpoint or a state dict), e.g. the source-only model or
a larger backbone. It is frozen, kept in eval mode, and deliberately not a registered
submodule: its weights are neither optimised nor written into the student's checkpoints.
It is built on the first call, from the input shape of the raw batch.

Shapes: ``x (B, *input_shape)``, ``logits (B, K)``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from hydra.utils import instantiate
from torch import Tensor

from da.errors import DAError
from da.losses.base import DALoss, LossInputs, LossOutput
from da.nets.heads import DANetwork
from da.nets.pretrained import load_weights


def distillation(student_logits: Tensor, teacher_logits: Tensor, temperature: float) -> Tensor:
    """``T^2 KL(softmax(t/T) || softmax(s/T))``, mean over the batch (float32)."""
    log_s = F.log_softmax(student_logits.float() / temperature, 1)
    log_t = F.log_softmax(teacher_logits.float() / temperature, 1)
    return temperature**2 * F.kl_div(log_s, log_t, log_target=True, reduction="batchmean")


class KDLoss(DALoss):
    """Args:
        teacher_path: the teacher's weights (required).
        teacher: ``{backbone: <backbone config>, bottleneck_dim: int}``; ``None`` entries
            fall back to ``student_backbone``/``student_bottleneck``.
        temperature: softening ``T``.
        apply_to: ``target``, ``source`` or ``both``.
    """

    def __init__(self, feature_dim: int, num_classes: int, teacher_path: str | None = None,
                 teacher: dict[str, Any] | None = None, temperature: float = 4.0,
                 apply_to: str = "target") -> None:
        super().__init__(feature_dim, num_classes)
        if not teacher_path:
            raise DAError("method=kd needs a teacher: set method.loss.teacher_path=<checkpoint "
                          "of da.train or a saved state dict>")
        if apply_to not in ("target", "source", "both"):
            raise DAError(f"method.loss.apply_to={apply_to!r}; choose target, source or both")
        self.teacher_path, self.spec = str(teacher_path), dict(teacher or {})
        self.temperature, self.apply_to = temperature, apply_to
        self.needs_target = apply_to != "source"
        self._teacher: list[DANetwork] = []  # a list, so the teacher is not a submodule

    def teacher(self, x: Tensor) -> DANetwork:
        if not self._teacher:
            backbone = instantiate(self.spec["backbone"], input_shape=list(x.shape[1:]))
            net = DANetwork(backbone, self.num_classes, self.spec.get("bottleneck_dim", 256),
                            self.spec.get("bottleneck_bn", True))
            if load_weights(net, self.teacher_path):
                raise DAError(f"method.loss.teacher_path={self.teacher_path} does not fit the "
                              "teacher network; set method.loss.teacher.backbone/bottleneck_dim "
                              "to the architecture that wrote it")
            for p in net.parameters():
                p.requires_grad_(False)
            self._teacher.append(net.eval())
        net = self._teacher[0]
        p = next(net.parameters())
        if p.device != x.device or (x.is_floating_point() and p.dtype != x.dtype):
            net.to(x.device, x.dtype if x.is_floating_point() else p.dtype)  # bf16-true, GPUs
        return net

    def forward(self, inputs: LossInputs) -> LossOutput:
        pairs = []
        if self.apply_to in ("source", "both"):
            pairs.append((inputs.x_s, inputs.logits_s))
        if self.apply_to in ("target", "both"):
            pairs.append((inputs.x_t, inputs.logits_t))
        if any(x is None for x, _ in pairs):
            raise DAError("method=kd needs the raw inputs (LossInputs.x_s / x_t); it runs "
                          "inside DAModule, which provides them")
        losses = []
        for x, student in pairs:
            with torch.no_grad():
                t_logits = self.teacher(x)(x)[1]
            losses.append(distillation(student, t_logits, self.temperature))
        loss = torch.stack(losses).mean()
        return LossOutput(loss, {"kl": loss.detach()})
