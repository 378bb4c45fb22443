"""Plots for the report: accuracy per task and method, learning curves, validators vs oracle."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from da.report.tables import Group


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def accuracy_bars(groups: dict[str, dict[str, Group]], path: Path) -> Path:
    """Mean ± std target accuracy per task and method: label-free (solid) and ORACLE (light)."""
    plt = _plt()
    tasks = sorted(groups)
    methods = sorted({m for t in tasks for m in groups[t]})
    fig, ax = plt.subplots(figsize=(max(4, 1.6 * len(tasks) * max(1, len(methods)) / 3), 3.6))
    width = 0.8 / max(len(methods), 1)
    for j, m in enumerate(methods):
        xs = np.arange(len(tasks)) + (j - (len(methods) - 1) / 2) * width
        for key, alpha, label in (("target_acc_oracle", 0.3, f"{m} (ORACLE)"),
                                  ("target_acc", 1.0, m)):
            cells = [groups[t][m].cells[key] if m in groups[t] else None for t in tasks]
            means = [100 * c.mean if c and c.mean is not None else np.nan for c in cells]
            stds = [100 * c.std if c and c.values else 0 for c in cells]
            ax.bar(xs, means, width, yerr=stds, alpha=alpha, color=f"C{j}", capsize=3,
                   label=label if key == "target_acc" else None)
    ax.set_xticks(np.arange(len(tasks)), tasks, rotation=15, fontsize=8)
    ax.set_ylabel("target accuracy (%)")
    ax.set_title("solid: label-free selection; light: ORACLE", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def learning_curves(rows: list[dict[str, Any]], path: Path) -> Path:
    """Target accuracy (oracle curve) and source validation accuracy vs step, mean per method."""
    plt = _plt()
    curves: dict[tuple[str, str], dict[int, list[tuple[float, float]]]] = defaultdict(
        lambda: defaultdict(list))
    for r in rows:
        for h in r.get("history") or []:
            if "val/target/acc_oracle" in h:
                curves[(r["task"], r["method"])][h["step"]].append(
                    (h["val/target/acc_oracle"], h.get("val/source/acc", np.nan)))
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for i, ((task, method), by_step) in enumerate(sorted(curves.items())):
        steps = sorted(by_step)
        tgt = [100 * np.mean([v[0] for v in by_step[s]]) for s in steps]
        src = [100 * np.mean([v[1] for v in by_step[s]]) for s in steps]
        label = f"{method} ({task})" if len({t for t, _ in curves}) > 1 else method
        axes[0].plot(steps, tgt, color=f"C{i}", label=label)
        axes[1].plot(steps, src, color=f"C{i}", label=label)
    axes[0].set_title("target accuracy (ORACLE curve)")
    axes[1].set_title("source validation accuracy (label-free)")
    for ax in axes:
        ax.set_xlabel("step")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def discriminator_curves(rows: list[dict[str, Any]], path: Path) -> Path | None:
    """Domain-discriminator accuracy vs step for adversarial methods (mean over seeds).

    0.5 means the domains are indistinguishable to it; pinned at 1.0 means the adversary
    won and alignment stalled. ``None`` when no run logged one.
    """
    curves: dict[tuple[str, str], dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        for h in r.get("history") or []:
            for key, value in h.items():
                if key.endswith("/disc_acc"):
                    curves[(r["task"], f"{r['method']}:{key.split('/')[1]}")][h["step"]].append(value)
    if not curves:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 3.4))
    for i, ((task, name), by_step) in enumerate(sorted(curves.items())):
        steps = sorted(by_step)
        label = f"{name} ({task})" if len({t for t, _ in curves}) > 1 else name
        ax.plot(steps, [np.mean(by_step[s]) for s in steps], color=f"C{i}", label=label)
    ax.axhline(0.5, color="grey", lw=0.8, ls="--")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("step")
    ax.set_title("domain discriminator accuracy")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def validator_scatter(rows: list[dict[str, Any]], path: Path) -> Path:
    """Each run x validator: the target accuracy it selects vs the run's oracle."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.8, 4))
    names = sorted({n for r in rows for n in (r.get("validators") or {})})
    for i, name in enumerate(names):
        pts = [(r["target_acc_oracle"], r["validators"][name]["target_acc"]) for r in rows
               if name in (r.get("validators") or {}) and r.get("target_acc_oracle") is not None]
        if pts:
            x, y = zip(*pts, strict=True)
            ax.scatter(100 * np.array(x), 100 * np.array(y), s=14, color=f"C{i}", label=name)
    lims = ax.get_xlim()
    ax.plot(lims, lims, "k--", lw=0.8)
    ax.set_xlabel("ORACLE target accuracy (%)")
    ax.set_ylabel("selected target accuracy (%)")
    ax.set_title("validators vs oracle")
    if names:
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
