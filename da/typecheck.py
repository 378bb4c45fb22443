"""Config values of the wrong type (``seed=abc``, ``trainer.max_steps=ten``, ``data.batch_size=1.5``)
fail in one line before anything is built, instead of deep inside a library."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from da.errors import DAError

INT = ((int,), "an integer")
INT_OR_NULL = ((int, type(None)), "an integer or null")
NUM = ((int, float), "a number")
NUM_OR_NULL = ((int, float, type(None)), "a number or null")
# key -> (accepted types and their name, an example of a valid override)
EXPECTED: dict[str, tuple[tuple[tuple[type, ...], str], str]] = {
    "seed": (INT, "seed=0"),
    "num_threads": (INT, "num_threads=1"),
    "trainer.max_steps": (INT, "trainer.max_steps=600"),
    "trainer.max_epochs": (INT_OR_NULL, "trainer.max_epochs=-1"),
    "trainer.val_check_interval": (NUM_OR_NULL, "trainer.val_check_interval=50"),
    "trainer.log_every_n_steps": (INT, "trainer.log_every_n_steps=25"),
    "data.batch_size": (INT, "data.batch_size=64"),
    "data.eval_batch_size": (INT, "data.eval_batch_size=512"),
    "data.split_seed": (INT, "data.split_seed=0"),
    "data.num_workers": (INT, "data.num_workers=0"),
    "data.source_val_fraction": (NUM, "data.source_val_fraction=0.2"),
    "data.align_reg": (NUM, "data.align_reg=1.0"),
    "data.target_labels_per_class": (INT, "data.target_labels_per_class=0"),
    "model.bottleneck_dim": (INT_OR_NULL, "model.bottleneck_dim=256"),
    "horizon_steps": (INT_OR_NULL, "horizon_steps=10000"),
    "data.val_pool_size": (INT_OR_NULL, "data.val_pool_size=10000"),
    "data.target_pool_size": (INT_OR_NULL, "data.target_pool_size=10000"),
    "optim.optimizer.lr": (NUM, "optim.optimizer.lr=0.01"),
}
_ABSENT = object()


def check_types(cfg: DictConfig) -> None:
    """Raise a one-line :class:`DAError` for the first value of the wrong type."""
    for key, ((types, name), example) in EXPECTED.items():
        value = OmegaConf.select(cfg, key, default=_ABSENT)
        if value is _ABSENT:
            continue
        # bool is an int subclass in Python, but `seed=true` is a mistake
        if isinstance(value, bool) or not isinstance(value, types):
            raise DAError(f"{key} must be {name}, got {value!r} ({type(value).__name__}); "
                          f"e.g. {example}")
