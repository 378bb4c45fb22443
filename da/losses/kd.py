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

**Shallow teacher.** ``teacher_path`` may also be the ``model.joblib`` that a shallow run
(``method=sk_<name>``, :mod:`da.shallow.runner`) writes: the fitted estimator labels the
student's batches (as target rows: transductive methods such as MEDA predict them by
their kernel expansion, which on the target pool is their own transductive labelling).
Its inputs must be the student's, i.e. the same dataset and preprocessing. With
``hard=True`` the student minimises the cross-entropy to the teacher's predicted class
(pseudo-labels, the only option for a teacher without ``predict_proba``); with
``hard=False`` a shallow teacher's log-probabilities are its logits.

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
        hard: cross-entropy to the teacher's argmax instead of the softened KL.
    """

    def __init__(self, feature_dim: int, num_classes: int, teacher_path: str | None = None,
                 teacher: dict[str, Any] | None = None, temperature: float = 4.0,
                 apply_to: str = "target", hard: bool = False) -> None:
        super().__init__(feature_dim, num_classes)
        if not teacher_path:
            raise DAError("method=kd needs a teacher: set method.loss.teacher_path=<checkpoint "
                          "of da.train or a saved state dict>")
        if apply_to not in ("target", "source", "both"):
            raise DAError(f"method.loss.apply_to={apply_to!r}; choose target, source or both")
        self.teacher_path, self.spec = str(teacher_path), dict(teacher or {})
        self.temperature, self.apply_to, self.hard = temperature, apply_to, bool(hard)
        self.needs_target = apply_to != "source"
        self._teacher: list[DANetwork] = []  # a list, so the teacher is not a submodule
        self.shallow = None
        if self.teacher_path.endswith(".joblib"):
            from da.shallow.runner import load_model

            if apply_to != "target":
                raise DAError(f"method.loss.apply_to={apply_to!r} with a shallow teacher: it "
                              "labels target rows only (the source has labels); set "
                              "method.loss.apply_to=target")
            self.shallow = load_model(self.teacher_path)
            if not self.hard and not hasattr(self.shallow, "predict_proba"):
                raise DAError(f"the shallow teacher {type(self.shallow).__name__} gives classes, "
                              "not probabilities; set method.loss.hard=true")

    @torch.no_grad()
    def shallow_teacher(self, x: Tensor) -> Tensor:
        """The shallow teacher's class indices ``(B,)`` (hard) or log-probabilities ``(B, K)``."""
        from da.shallow.runner import predict_target

        rows = x.detach().flatten(1).cpu().double().numpy()
        try:
            out = torch.as_tensor(predict_target(self.shallow, rows, proba=not self.hard))
        except ValueError as e:
            msg = " ".join(str(e).split())[:200]
            raise DAError(f"the shallow teacher {self.teacher_path} cannot label inputs of width "
                          f"{rows.shape[1]} ({msg}); fit it on the same dataset and "
                          "preprocessing as the student") from e
        if self.hard:
            out = out.long()
            if out.min() < 0 or out.max() >= self.num_classes:
                raise DAError(f"the shallow teacher {self.teacher_path} predicts class "
                              f"{int(out.max())}, outside the student's {self.num_classes} "
                              "classes; fit it on the same dataset as the student")
        elif out.shape[1] != self.num_classes:
            raise DAError(f"the shallow teacher {self.teacher_path} has {out.shape[1]} classes, "
                          f"the student {self.num_classes}; fit it on the same dataset")
        else:
            out = out.clamp_min(1e-12).log().float()
        return out.to(x.device)

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
            if self.shallow is not None:
                t_out = self.shallow_teacher(x)
            else:
                with torch.no_grad():
                    t_out = self.teacher(x)(x)[1]
            if self.hard:
                labels = t_out if t_out.dim() == 1 else t_out.argmax(1)
                losses.append(F.cross_entropy(student.float(), labels))
            else:
                losses.append(distillation(student, t_out, self.temperature))
        loss = torch.stack(losses).mean()
        return LossOutput(loss, {"ce" if self.hard else "kl": loss.detach()})
