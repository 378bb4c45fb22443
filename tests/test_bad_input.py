"""Bad input fails fast with one line that says what is wrong and how to fix it.

Each case runs the real entry (`run`) in-process; the CLI wrapper that turns these errors
into `error: ...` and exit code 2 is exercised in tests/test_cli.py.
"""

from __future__ import annotations

import pytest

from da.train import run, user_error

CASES = {
    "zero_steps": (["trainer.max_steps=0"], "trainer.max_steps must be positive"),
    "negative_steps": (["trainer.max_steps=-5"], "trainer.max_steps must be positive"),
    "gpu_without_gpu": (["trainer=gpu"], "needs a CUDA GPU but none is visible"),
    "zero_devices": (["trainer.devices=0"], "trainer.devices=0 runs nothing"),
    "zero_batch": (["data.batch_size=0"], "data.batch_size must be >= 1"),
    "batch_not_divisible_by_processes": (["trainer=ddp_cpu", "data.batch_size=15"],
                                         "must divide by trainer.devices=2"),
    "pairs_loss_batch_of_one": (["method=mmd", "data.batch_size=1"],
                                "needs at least 2 samples per domain"),
    "batch_larger_than_data": (["data.batch_size=5000"], "fewer than data.batch_size=5000"),
    "unknown_schedule": (["method=mmd", "method.schedule._target_=da.schedules.Nope"],
                         "cannot build `method.schedule`"),
    "bad_loss_option": (["method=mmd", "method.loss.estimator=cubic"],
                        "unknown MMD estimator 'cubic'"),
    "backbone_for_images_on_vectors": (["dataset=moons", "backbone=small_cnn"],
                                       "backbone=small_cnn needs image inputs"),
    "init_from_missing": (["init_from=/nonexistent/best.ckpt"], "init_from=/nonexistent/best.ckpt: no such file"),
    "zero_threads": (["num_threads=0"], "num_threads must be >= 1"),
    "bad_val_fraction": (["data.source_val_fraction=1.5"], "source_val_fraction must be in (0, 1)"),
    "unknown_source_domain": (["source=paper"], "source='paper' is not a domain"),
    "ramp_of_zero_length": (["method=mmd", "~method.schedule",
                             "+method.schedule={_target_:da.schedules.LinearRamp,until:0}"],
                            "LinearRamp.until must be > 0"),
    "schedule_with_wrong_argument": (["method=mmd",
                                      "method.schedule._target_=da.schedules.LinearRamp"],
                                     "unexpected keyword argument 'gamma'"),
    "method_name_with_a_dot": (["method=dann", "method.name=dann-holdout0.2"],
                               "method name 'dann-holdout0.2' cannot be used"),
    "zero_horizon": (["horizon_steps=0"], "horizon_steps must be a positive number"),
    "bad_resize_filter": (["dataset=digits", "dataset.resize=nearest"],
                          "dataset.resize='nearest' is not a resize filter"),
    "align_on_images": (["data.align=coral"], "use data.align=none for images"),
    "unknown_align": (["dataset=moons", "backbone=mlp", "data.align=whiten"],
                      "data.align='whiten' is not one of none, coral"),
    "align_reg_zero": (["dataset=moons", "backbone=mlp", "data.align=coral", "data.align_reg=0"],
                       "data.align_reg must be > 0"),
    "unknown_init_part": (["model.init_parts={head:{std:0.01}}"],
                          "model.init_parts.head is unknown; parts are backbone"),
    # config values of the wrong type (da/typecheck.py)
    "seed_not_an_int": (["seed=abc"], "seed must be an integer, got 'abc' (str); e.g. seed=0"),
    "max_steps_not_an_int": (["trainer.max_steps=ten"], "trainer.max_steps must be an integer"),
    "float_batch_size": (["data.batch_size=1.5"], "data.batch_size must be an integer, got 1.5"),
    "bool_seed": (["seed=true"], "seed must be an integer, got True (bool)"),
    "align_reg_not_a_number": (["data.align_reg=abc"], "data.align_reg must be a number"),
    "lr_not_a_number": (["optim.optimizer.lr=fast"], "optim.optimizer.lr must be a number"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_one_line_error(case, make_cfg, tmp_path):
    overrides, message = CASES[case]
    cfg = make_cfg(*overrides)
    with pytest.raises(Exception) as info:
        run(cfg)
    err = user_error(info.value)
    assert err is not None, f"{case}: not a user error: {info.value!r}"
    text = str(err)
    assert message in text and "\n" not in text, text
    assert not (tmp_path / "results.json").exists()
    assert not (tmp_path / "checkpoints").exists()  # failed before any training
