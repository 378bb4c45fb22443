"""da-report: tables per task x method from results.json files, and results.csv."""

from __future__ import annotations

import csv
import json

import pytest

from da.report.cli import main
from da.results import write_json_atomic


def _fake_run(root, method, seed, acc, oracle, status="ok"):
    d = root / f"{method}_s{seed}"
    write_json_atomic(d / "results.json", {
        "status": status, "task": "toy:a->b", "method": method, "seed": seed,
        "target_acc": acc, "target_acc_oracle": oracle, "target_acc_last": acc,
        "source_acc": 0.99, "selection": {"name": "source_acc"},
    })


def _task_run(root, task, method, acc):
    """A completed seed-0 run of ``method`` on ``task`` (source accuracy 100 %)."""
    d = root / f"{task.replace(':', '_').replace('>', '')}_{method}"
    write_json_atomic(d / "results.json", {
        "status": "ok", "task": task, "method": method, "seed": 0, "target_acc": acc,
        "target_acc_oracle": acc, "target_acc_last": acc, "source_acc": 1.0})


def test_report_table_and_csv(tmp_path, capsys):
    for seed, acc in enumerate([0.50, 0.60, 0.70]):
        _fake_run(tmp_path, "source_only", seed, acc, acc + 0.05)
    for seed, acc in enumerate([0.80, 0.82, 0.84]):
        _fake_run(tmp_path, "dann", seed, acc, 0.9)
    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "### toy:a->b" in out
    assert "| source_only | 3 | 60.0 ± 10.0 | 65.0 ± 10.0 |" in out
    assert "| dann | 3 | 82.0 ± 2.0 | 90.0 ± 0.0 |" in out
    assert "+22.0" in out and "ORACLE" in out
    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    assert len(rows) == 6
    assert {"task", "method", "seed", "target_acc", "target_acc_oracle", "target_acc_last",
            "source_acc"} <= set(rows[0])
    assert (tmp_path / "results.md").read_text().startswith("### toy:a->b")


def test_report_counts_failed_runs(tmp_path, capsys):
    _fake_run(tmp_path, "dann", 0, 0.8, 0.9)
    _fake_run(tmp_path, "dann", 1, None, None, status="failed")
    assert main([str(tmp_path)]) == 0
    assert "| dann | 1 (1 failed) | 80.0" in capsys.readouterr().out


@pytest.mark.parametrize("content", ["{not json", None])
def test_report_bad_input_is_one_line_error(tmp_path, capsys, content):
    if content is not None:
        (tmp_path / "results.json").write_text(content)
    assert main([str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err
    assert not (tmp_path / "results.csv").exists()


def test_report_missing_path(tmp_path, capsys):
    assert main([str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_average_row_over_tasks(tmp_path, capsys):
    for task, acc in (("t1:a->b", 0.5), ("t2:b->a", 0.7)):
        _task_run(tmp_path, task, "dann", acc)
    assert main([str(tmp_path), "--no-html"]) == 0
    out = capsys.readouterr().out
    assert "### average over 2 tasks" in out and "| dann | 2 | 60.0 | 60.0 | 60.0 | 100.0 |" in out


def test_average_table_gives_the_median_wall_time_per_run(tmp_path, capsys):
    for task, wall in (("t1:a->b", 10.0), ("t2:b->a", 30.0), ("t3:a->c", 14.0)):
        _task_run(tmp_path, task, "dann", 0.5)
        d = tmp_path / f"{task.replace(':', '_').replace('>', '')}_dann" / "results.json"
        res = json.loads(d.read_text())
        write_json_atomic(d, {**res, "wall_time_s": wall})
    assert main([str(tmp_path), "--no-html"]) == 0
    out = capsys.readouterr().out
    assert "| wall s / run (median) |" in out and "| dann | 3 | 50.0 | 50.0 | 50.0 | 100.0 | 14.0 |" in out


def test_negative_transfer_is_flagged(tmp_path, capsys):
    _fake_run(tmp_path, "source_only", 0, 0.8, 0.8)
    _fake_run(tmp_path, "dann", 0, 0.7, 0.75)
    assert main([str(tmp_path), "--no-html"]) == 0
    assert "-10.0 NEGATIVE TRANSFER" in capsys.readouterr().out


def test_equal_accuracy_is_not_negative_transfer(tmp_path, capsys):
    """Three equal seeds average to a float one ulp under the baseline's: printed as -0.0,
    it is no negative transfer; a gap that prints as -0.1 is."""
    acc = 0.8734177215189873  # (3 * acc) / 3 < acc in floating point
    assert sum([acc] * 3) / 3 < acc
    _fake_run(tmp_path, "source_only", 0, acc, acc)
    for seed in range(3):
        _fake_run(tmp_path, "dann", seed, acc, acc)
        _fake_run(tmp_path, "mmd", seed, acc - 0.001, acc)
    assert main([str(tmp_path), "--no-html"]) == 0
    out = capsys.readouterr().out
    assert "| dann | 3 |" in out and "NEGATIVE TRANSFER" not in out.split("| dann |")[1].split("\n")[0]
    assert "-0.1 NEGATIVE TRANSFER" in out.split("| mmd |")[1].split("\n")[0]


def test_rows_from_a_wandb_project(monkeypatch, tmp_path, capsys):
    """The W&B path, with the public API replaced by a stand-in (tests never go online)."""
    from types import SimpleNamespace

    import da.report.cli as cli
    from da.report.collect import collect_wandb

    def run(method, seed, acc, state="finished"):
        summary = {"target_acc": acc, "target_acc_oracle": acc + 0.01, "target_acc_last": acc,
                   "source_acc": 0.9} if state == "finished" else {}
        return SimpleNamespace(config={"task": "t:a->b", "method": method, "seed": seed},
                               summary=summary, state=state, id=f"{method}{seed}")

    api = SimpleNamespace(runs=lambda path: [run("dann", 0, 0.8), run("dann", 1, 0.6),
                                             run("dann", 2, 0.0, state="crashed")])
    rows = collect_wandb("me/proj", api=api)
    assert [r["status"] for r in rows] == ["ok", "ok", "failed"]
    monkeypatch.setattr(cli, "collect_wandb", lambda path: rows)
    assert cli.main(["--wandb", "me/proj", "--out", str(tmp_path), "--no-html"]) == 0
    assert "| dann | 2 (1 failed) | 70.0 ± 14.1 |" in capsys.readouterr().out


def test_stopped_or_failed_run_superseded_by_a_completed_rerun_is_left_out(tmp_path, capsys):
    from omegaconf import OmegaConf

    from da.results import config_hash

    cfg = OmegaConf.create({"method": {"name": "dann", "lr": "${lr}"}, "lr": 0.1, "seed": 0})
    other = OmegaConf.merge(cfg, {"lr": 0.2})
    base = {"task": "toy:a->b", "method": "dann", "seed": 0}
    write_json_atomic(tmp_path / "rerun/results.json", {
        **base, "status": "ok", "config_hash": config_hash(cfg), "target_acc": 0.8,
        "target_acc_oracle": 0.9, "target_acc_last": 0.8, "source_acc": 0.99})
    # an older record without a hash: matched through Hydra's saved config beside it
    write_json_atomic(tmp_path / "stopped/results.json", {**base, "status": "preempted"})
    (tmp_path / "stopped/.hydra").mkdir()
    OmegaConf.save(cfg, tmp_path / "stopped/.hydra/config.yaml")
    # a failed run of another config (lr 0.2) is still a failure
    write_json_atomic(tmp_path / "lr2/results.json",
                      {**base, "status": "failed", "config_hash": config_hash(other)})
    assert main([str(tmp_path), "--no-html"]) == 0
    out = capsys.readouterr().out
    assert "| dann | 1 (1 failed) | 80.0" in out
    assert "2 runs (1 failed; left out 1 failed or stopped run(s) whose config completed" in out
    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    assert sorted(r["status"] for r in rows) == ["failed", "ok"]
    # with --methods the count is of the methods shown, not of dann's stopped run
    _fake_run(tmp_path, "source_only", 0, 0.5, 0.6)
    assert main([str(tmp_path), "--no-html", "--methods", "source_only"]) == 0
    assert "1 runs (0 failed); wrote" in capsys.readouterr().out


def test_published_reference_column_and_average(tmp_path, capsys):
    ref = tmp_path / "ref.csv"
    ref.write_text("task,method,acc,source\n"
                   "t1:a->b,dann,91.7,paper A\nt2:b->a,dann,80.3,paper A\n"
                   "t1:a->b,coral,50.0,paper B\nt2:b->a,coral,60.0,paper B\n")
    runs = tmp_path / "runs"
    for task, acc in (("t1:a->b", 0.5), ("t2:b->a", 0.7)):
        _task_run(runs, task, "dann", acc)
    assert main([str(runs), "--no-html", "--reference", str(ref)]) == 0
    out = capsys.readouterr().out
    assert "| Δ vs source_only | published |" in out
    assert "| dann | 1 | 50.0 | 50.0 | 50.0 | 100.0 | - | 91.7 |" in out
    assert "| *coral* (published only) | - | - | - | - | - | - | 50.0 |" in out
    assert "| dann | 2 | 60.0 | 60.0 | 60.0 | 100.0 | 86.0 |" in out  # (91.7 + 80.3) / 2
    assert "| *coral* (published only) | 2 | - | - | - | - | 55.0 |" in out
    assert "paper A" in out and "paper B" in out
    tex = (runs / "results.tex").read_text()
    assert "published" in tex and "& 91.7" in tex


def test_published_average_covers_only_the_tasks_a_method_ran_on(tmp_path, capsys):
    ref = tmp_path / "ref.csv"
    ref.write_text("task,method,acc,source\n"
                   "t1:a->b,source_only,40.0,p\nt2:b->a,source_only,80.0,p\n"
                   "t1:a->b,dann,60.0,p\nt2:b->a,dann,90.0,p\n")
    runs = tmp_path / "runs"
    for task, method in (("t1:a->b", "dann"), ("t2:b->a", "dann"), ("t1:a->b", "source_only")):
        _task_run(runs, task, method, 0.5)
    assert main([str(runs), "--no-html", "--reference", str(ref)]) == 0
    out = capsys.readouterr().out
    assert "| source_only | 1 | 50.0 | 50.0 | 50.0 | 100.0 | 40.0 |" in out  # t1 only, not 60.0
    assert "| dann | 2 | 50.0 | 50.0 | 50.0 | 100.0 | 75.0 |" in out


def test_shipped_reference_table_is_readable():
    from da.report.tables import load_reference

    ref = load_reference()
    assert ref[("digits:mnist->usps", "dann")][0] == 91.7
    assert ref[("office_caltech_surf:caltech->amazon", "coral")][0] == 52.1
    assert len([k for k in ref if k[1] == "coral"]) == 12
    # the shallow methods sit beside the published rows of the same method
    assert all(ref[(t, "sk_coral")] == ref[(t, "coral")] for t, m in ref if m == "coral")
    assert len([k for k in ref if k[1] == "sk_tca"]) == 12


@pytest.mark.parametrize("content", ["task,method\nx,y\n", "task,method,acc,source\nx,y,abc,z\n"])
def test_bad_reference_file_is_one_line_error(tmp_path, capsys, content):
    _fake_run(tmp_path, "dann", 0, 0.8, 0.9)
    ref = tmp_path / "ref.csv"
    ref.write_text(content)
    assert main([str(tmp_path), "--no-html", "--reference", str(ref)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: reference file") and "\n" not in err


def test_discriminator_curve_only_for_adversarial_runs(tmp_path):
    from da.report.figures import discriminator_curves

    plain = {"task": "t", "method": "mmd", "history": [{"step": 10, "val/source/acc": 0.9}]}
    assert discriminator_curves([plain], tmp_path / "none.png") is None
    adv = {"task": "t", "method": "dann", "history": [
        {"step": s, "train/dann/disc_acc": a} for s, a in ((10, 0.9), (20, 0.7), (30, 0.6))]}
    path = discriminator_curves([plain, adv], tmp_path / "d.png")
    assert path.stat().st_size > 5000


def test_methods_filter(tmp_path, capsys):
    _fake_run(tmp_path, "source_only", 0, 0.5, 0.6)
    _fake_run(tmp_path, "dann", 0, 0.7, 0.8)
    _fake_run(tmp_path, "mcd", 0, 0.1, 0.2, status="failed")
    assert main([str(tmp_path), "--no-html", "--methods", "source_only,dann"]) == 0
    out = capsys.readouterr().out
    assert "| dann |" in out and "mcd" not in out and "2 runs (0 failed)" in out


def test_previous_results_csv_keeps_runs_whose_folders_are_gone(tmp_path, capsys):
    """A study continued on a new machine: seeds 0 and 1 only survive in the committed
    results.csv, seed 1 is rerun and seed 2 is new; the table covers all three seeds, seed 0
    comes from the csv, and the rerun is compared with the number it replaces."""
    old, new, study = tmp_path / "old", tmp_path / "new", tmp_path / "study"
    _fake_run(old, "dann", 0, 0.80, 0.85)
    _fake_run(old, "dann", 1, 0.70, 0.75)
    assert main([str(old), "--out", str(study), "--no-html"]) == 0
    _fake_run(new, "dann", 1, 0.72, 0.75)
    _fake_run(new, "dann", 2, 0.90, 0.95)
    capsys.readouterr()
    assert main([str(new), "--previous", str(study / "results.csv"), "--out", str(study),
                 "--no-html"]) == 0
    out = capsys.readouterr().out
    assert "| dann | 3 | 80.7 ± 9.0 |" in out  # 0.80 (kept), 0.72 (rerun), 0.90 (new)
    assert "kept 1 completed run(s)" in out
    assert "seed 1: target acc 70.00 before, 72.00 now (diff +2.00)" in out
    rows = list(csv.DictReader(open(study / "results.csv")))
    assert [(r["seed"], r["target_acc"]) for r in rows] == [("0", "0.8"), ("1", "0.72"),
                                                            ("2", "0.9")]


@pytest.mark.parametrize("content", [None, "a,b\n1,2\n", "task,method,seed,status,target_acc\n"
                                     "t,m,zero,ok,0.5\n"])
def test_bad_previous_csv_is_one_line_error(tmp_path, capsys, content):
    _fake_run(tmp_path / "runs", "dann", 0, 0.8, 0.9)
    prev = tmp_path / "prev.csv"
    if content is not None:
        prev.write_text(content)
    assert main([str(tmp_path / "runs"), "--previous", str(prev), "--no-html"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --previous") and "\n" not in err


def test_rerun_comparison_names_a_platform_change(tmp_path, capsys):
    """The same config on another CPU rounds differently: the rerun line says so."""
    old, new, study = tmp_path / "old", tmp_path / "new", tmp_path / "study"
    _fake_run(old, "dann", 0, 0.80, 0.85)
    rec = json.loads((old / "dann_s0" / "results.json").read_text())
    rec["platform"] = {"cpu": "AMD EPYC", "cpu_capability": "AVX2", "device": "cpu",
                       "torch_threads": 1}
    write_json_atomic(old / "dann_s0" / "results.json", rec)
    assert main([str(old), "--out", str(study), "--no-html"]) == 0
    assert list(csv.DictReader(open(study / "results.csv")))[0]["platform"] == \
        "AMD EPYC (AVX2, 1 thr)"
    rec["platform"] = {"cpu": "Intel Xeon", "cpu_capability": "AVX512", "device": "cpu",
                       "torch_threads": 1}
    rec["target_acc"] = 0.78
    write_json_atomic(new / "dann_s0" / "results.json", rec)
    capsys.readouterr()
    assert main([str(new), "--previous", str(study / "results.csv"), "--out", str(study),
                 "--no-html"]) == 0
    out = capsys.readouterr().out
    assert ("seed 0: target acc 80.00 before, 78.00 now (diff -2.00); platform differs: "
            "AMD EPYC (AVX2, 1 thr) before, Intel Xeon (AVX512, 1 thr) now") in out


def test_platform_info_names_the_cpu_kernels_and_threads():
    import torch

    from da.results import platform_info, platform_label

    info = platform_info("cpu")
    assert info["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert info["torch_threads"] == torch.get_num_threads() and info["device"] == "cpu"
    assert info["cpu"] and platform_label(info).startswith(info["cpu"])
    assert platform_label(None) is None


def test_several_previous_tables_merge_into_one_report(tmp_path, capsys):
    """Two studies' committed tables and a new run in one report; a run both tables hold
    counts once (from the first table given)."""
    a, b, new, out = tmp_path / "a", tmp_path / "b", tmp_path / "new", tmp_path / "out"
    _fake_run(a / "runs", "sk_coral", 0, 0.46, 0.47)
    _fake_run(a / "runs", "dann", 0, 0.40, 0.41)
    assert main([str(a / "runs"), "--out", str(a), "--no-html"]) == 0
    _fake_run(b / "runs", "shot", 0, 0.47, 0.48)
    _fake_run(b / "runs", "dann", 0, 0.30, 0.31)  # the same run as in a: a's counts
    assert main([str(b / "runs"), "--out", str(b), "--no-html"]) == 0
    _fake_run(new, "mcc", 0, 0.50, 0.51)
    capsys.readouterr()
    assert main([str(new), "--previous", str(a / "results.csv"), "--previous",
                 str(b / "results.csv"), "--out", str(out), "--no-html"]) == 0
    rows = list(csv.DictReader(open(out / "results.csv")))
    assert sorted((r["method"], r["target_acc"]) for r in rows) == [
        ("dann", "0.4"), ("mcc", "0.5"), ("shot", "0.47"), ("sk_coral", "0.46")]
    assert "kept 3 completed run(s)" in capsys.readouterr().out


def test_a_run_in_both_the_logs_and_the_previous_table_is_not_a_rerun(tmp_path, capsys):
    runs, study = tmp_path / "runs", tmp_path / "study"
    _fake_run(runs, "dann", 0, 0.80, 0.85)
    assert main([str(runs), "--out", str(study), "--no-html"]) == 0
    capsys.readouterr()
    assert main([str(runs), "--previous", str(study / "results.csv"), "--out", str(study),
                 "--no-html"]) == 0
    out = capsys.readouterr().out
    assert "rerun of" not in out and "| dann | 1 |" in out


def test_config_hash_ignores_how_outputs_are_named_not_what_a_run_computes():
    """A sweep logged before ``enable_version_counter`` existed is still found complete."""
    from omegaconf import OmegaConf

    from da.results import config_hash

    old = OmegaConf.create({"seed": 0, "trainer": {"max_steps": 10},
                            "callbacks": {"model_checkpoint": {"save_last": True}}})
    new = OmegaConf.merge(old, {"trainer": {"enable_progress_bar": False},
                                "callbacks": {"model_checkpoint": {"enable_version_counter": False}}})
    assert config_hash(new) == config_hash(old)
    assert config_hash(OmegaConf.merge(old, {"trainer": {"max_steps": 11}})) != config_hash(old)
    assert config_hash(OmegaConf.merge(
        old, {"callbacks": {"model_checkpoint": {"save_last": False}}})) != config_hash(old)
    # an option added later, at the value that computes what the logged runs computed
    ft = OmegaConf.merge(old, {"finetune": {"mode": "full"}})
    assert config_hash(OmegaConf.merge(ft, {"finetune": {"freeze_bn": False}})) == config_hash(ft)
    assert config_hash(OmegaConf.merge(ft, {"finetune": {"freeze_bn": True}})) != config_hash(ft)
