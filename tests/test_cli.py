"""The command line: errors, multirun, DDP on CPU, W&B offline, launchers, Optuna."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.wandb_reader import read_run

FAST = ["debug=fast", "trainer.max_steps=10", "trainer.val_check_interval=5"]


def _results(root: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(root.rglob("results.json"))]


@pytest.mark.parametrize(("args", "message"), [
    (["source=clean", "target=clean"], "source and target are both 'clean'"),
    (["method=dan"], "method=dan is not an option of group 'method'; valid options: adda, afn,"),
    (["-m", "method=mmd,dan"], "method=dan is not an option"),
    (["target=mars"], "target='mars' is not a domain of dataset=skdigits; valid domains: clean"),
    (["trainer.max_steps=5", "trainer.val_check_interval=10"], "exceeds trainer.max_steps"),
    (["selection.monitor=val/target/acc_oracle"], "uses target labels"),
    (["logger=wandb", "logger.wandb.mode=online"], "needs a W&B API key"),
])
def test_bad_input_is_one_line_error(args, message, tmp_path):
    proc = run_cli([*FAST, f"paths.log_dir={tmp_path}", *args],
                   env={"WANDB_API_KEY": "", "NETRC": str(tmp_path / "none"),
                        "HOME": str(tmp_path)})
    assert proc.returncode == 2, proc.stderr[-2000:]
    err_lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(err_lines) == 1 and message in err_lines[0], proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert not list(tmp_path.rglob("results.json"))


def test_two_job_multirun_writes_two_results(tmp_path):
    proc = run_cli(["-m", *FAST, f"paths.log_dir={tmp_path}", "method=source_only,mmd"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = _results(tmp_path)
    assert sorted(r["method"] for r in results) == ["mmd", "source_only"]


def test_ddp_cpu_two_processes_one_results_file(tmp_path):
    proc = run_cli(["trainer=ddp_cpu", *FAST, "trainer.max_steps=8", "trainer.val_check_interval=4",
                    "method=dann", f"paths.log_dir={tmp_path}"], timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = _results(tmp_path)
    assert len(results) == 1
    assert results[0]["world_size"] == 2
    assert results[0]["steps"] == 8


def test_ddp_two_processes_match_one_process_with_the_same_global_batch(tmp_path):
    """Same global batch per step (each process takes its half); metrics end close.

    Not identical: BatchNorm statistics and batch losses (MMD, the discriminator's BCE) are
    computed per process on half the batch, then gradients are averaged.
    """
    common = [*FAST, "method=dann", "trainer.max_steps=60", "trainer.val_check_interval=20",
              "data.batch_size=32", "logger=csv"]
    one = run_cli([*common, "trainer=cpu", f"hydra.run.dir={tmp_path / 'one'}"])
    two = run_cli([*common, "trainer=ddp_cpu", f"hydra.run.dir={tmp_path / 'two'}"], timeout=400)
    assert one.returncode == 0 and two.returncode == 0, (one.stderr + two.stderr)[-3000:]
    r1, r2 = (json.loads((tmp_path / d / "results.json").read_text()) for d in ("one", "two"))
    assert (r1["world_size"], r2["world_size"]) == (1, 2)
    assert [h["step"] for h in r1["history"]] == [h["step"] for h in r2["history"]] == [20, 40, 60]
    assert abs(r1["source_acc"] - r2["source_acc"]) < 0.03
    assert abs(r1["history"][-1]["val/source/acc"] - r2["history"][-1]["val/source/acc"]) < 0.03


def test_wandb_offline_run_read_back_from_files(tmp_path):
    proc = run_cli([*FAST, "logger=default", "method=dann", "seed=1", f"paths.log_dir={tmp_path}",
                    "callbacks.diagnostics.tsne=true", "study=wb"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    run_files = list(tmp_path.rglob("offline-run-*/run-*.wandb"))
    assert len(run_files) == 1, list(tmp_path.rglob("*"))
    run = read_run(run_files[0])
    config, history_keys, summary, run_info = (run["config"], run["history_keys"], run["summary"],
                                               run["run"])
    assert config["method"] == "dann" and config["seed"] == 1
    # the fields a workspace groups and filters by
    assert (config["source"], config["target"], config["selection"], config["study"]) == \
        ("clean", "shifted", "source_acc", "wb")
    assert config["cfg"]["method"]["name"] == "dann"
    assert config["choices"]["method"] == "dann"
    assert {"train/loss", "val/source/acc", "val/target/acc_oracle"} <= history_keys
    assert {"target_acc", "target_acc_oracle", "selected_by/snd"} <= set(summary)
    # a table and an image were logged as media
    assert summary["target_confusion/_type"] == "table-file" and summary["target_confusion/nrows"] == 10
    assert summary["diag/tsne/_type"] == "images/separated" and summary["diag/tsne/count"] == 1
    assert run_info.run_group == "skdigits:clean->shifted"
    assert run_info.job_type == "dann"
    assert "method:dann" in run_info.tags and run_info.display_name.startswith("dann|")
    # CSV got the same metrics: the default logger writes both
    assert list(tmp_path.rglob("csv/metrics.csv"))


def test_submitit_local_launcher(tmp_path):
    proc = run_cli(["-m", "launcher=local", *FAST, f"paths.log_dir={tmp_path}",
                    "method=source_only", "seed=0,1"], timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(r["seed"] for r in _results(tmp_path)) == [0, 1]
    assert list(tmp_path.rglob(".submitit"))


def test_optuna_search_returns_label_free_metric(tmp_path):
    proc = run_cli(["-m", "hparams_search=optuna_source_acc", *FAST, f"paths.log_dir={tmp_path}",
                    "method=mmd", "hydra.sweeper.n_trials=2",
                    "hydra.sweeper.sampler.n_startup_trials=2"], timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(_results(tmp_path)) == 2
    best = next(tmp_path.rglob("optimization_results.yaml")).read_text()
    assert "best_value" in best and "method.weight" in best


def test_help_lists_group_options():
    from da.config import CONF_DIR

    proc = run_cli(["--help"])
    assert proc.returncode == 0
    for group in ("method", "dataset", "trainer", "backbone", "finetune"):
        options = sorted(p.stem for p in (Path(CONF_DIR) / group).glob("*.yaml"))
        assert f"{group}: {', '.join(options)}" in proc.stdout, group


def test_nonfinite_loss_stops_with_step_and_term_and_records_failure(tmp_path):
    proc = run_cli([*FAST, "method=mmd", "method.weight=inf", f"paths.log_dir={tmp_path}"])
    assert proc.returncode == 2, proc.stderr[-2000:]
    (line,) = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert "non-finite loss at step 0 in term(s) mmd" in line
    (result,) = _results(tmp_path)
    assert result["status"] == "failed" and "non-finite" in result["error"]
    assert len(result["config_hash"]) == 16  # da-report matches it against a later rerun


def test_failed_job_does_not_stop_the_sweep_and_a_rerun_runs_only_it(tmp_path):
    sweep = ["-m", *FAST, f"paths.log_dir={tmp_path}", "method=mmd", "method.weight=inf,1.0"]
    proc = run_cli(sweep)
    assert proc.returncode != 0  # Hydra reports the failed job at the end
    statuses = sorted(r["status"] for r in _results(tmp_path))
    assert statuses == ["failed", "ok"], statuses
    again = run_cli(sweep)  # the same command: the completed job is skipped
    assert again.returncode != 0
    assert (again.stdout + again.stderr).count("skipping: the same config already completed") == 1
    statuses = sorted(r["status"] for r in _results(tmp_path))
    # only the failed job ran again; the completed one was copied into the new sweep dir
    assert statuses == ["failed", "failed", "ok", "ok"], statuses
    assert sum(bool(r.get("reused_from")) for r in _results(tmp_path)) == 1
    forced = run_cli([*sweep[:1], "force=true", *sweep[1:]])
    assert "skipping" not in forced.stdout + forced.stderr
    assert len(_results(tmp_path)) == 6
    from da.report.collect import collect_runs

    assert len(collect_runs([tmp_path])) == 5  # the reused copy is not counted twice


def test_rerunning_into_the_same_sweep_dir_skips_and_keeps_the_originals(tmp_path):
    sweep = ["-m", *FAST, f"paths.log_dir={tmp_path}", f"hydra.sweep.dir={tmp_path}/s",
             "method=source_only"]
    assert run_cli(sweep).returncode == 0
    first = {p: p.read_text() for p in (tmp_path / "s").rglob("results.json")}
    for _ in range(2):  # twice: a second re-run must still find the originals
        again = run_cli(sweep)
        assert again.returncode == 0, again.stderr[-2000:]
        out = again.stdout + again.stderr
        assert out.count("skipping: the same config already completed") == 1
    assert {p: p.read_text() for p in (tmp_path / "s").rglob("results.json")} == first


@pytest.mark.slow
def test_compiled_network_trains_and_checkpoints(tmp_path):
    """`model.compile=true` (torch.compile; ~40 s of compilation on 2 CPU cores)."""
    proc = run_cli([*FAST, "method=dann", "model.compile=true", f"hydra.run.dir={tmp_path}"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["status"] == "ok" and results["target_acc"] > 0


def test_one_callback_and_one_logger_can_be_switched_off(tmp_path):
    proc = run_cli([*FAST, "callbacks.diagnostics=null", "logger=default", "logger.wandb=null",
                    f"hydra.run.dir={tmp_path}"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not (tmp_path / "diagnostics.json").exists()
    assert not (tmp_path / "wandb").exists() and (tmp_path / "csv").is_dir()
