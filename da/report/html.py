"""One self-contained HTML page (images inlined) and a LaTeX table."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from da.report.tables import HEADERS, Group, Reference, columns


def latex_table(groups: dict[str, dict[str, Group]], reference: Reference | None = None) -> str:
    """task x method, label-free accuracy with the ORACLE (and published) beside it."""
    ref = reference is not None
    lines = [r"\begin{tabular}{llcc" + ("c" if ref else "") + "}", r"\toprule",
             r"task & method & target acc (label-free) & ORACLE" + (" & published" if ref else "")
             + r" \\", r"\midrule"]
    for task in sorted(groups):
        for name, g in sorted(groups[task].items()):
            acc, orc = (g.cells[k].fmt().replace("±", r"$\pm$")
                        for k in ("target_acc", "target_acc_oracle"))
            pub = ""
            if ref:
                hit = reference.get((task, name))
                pub = f" & {hit[0]:.1f}" if hit else " & -"
            lines.append(f"{_tex(task)} & {_tex(name)} & {acc} & {orc}{pub} " + r"\\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines)


def _tex(s: str) -> str:
    return s.replace("_", r"\_").replace("->", r"$\to$").replace("&", r"\&")


def _pub(reference: Reference, task: str, name: str) -> str:
    hit = reference.get((task, name))
    return f"{hit[0]:.1f}" if hit else "-"


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def html_page(groups: dict[str, dict[str, Group]], rows: list[dict[str, Any]],
              figures: list[Path], flags: dict[tuple[str, str], str],
              reference: Reference | None = None, metric: str = "target_acc") -> str:
    cols = columns(metric)
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>da report</title>",
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
             "margin-bottom:1.5em}td,th{border:1px solid #bbb;padding:4px 8px;text-align:right}"
             "th{background:#eee}td:first-child{text-align:left}.bad{color:#b00}"
             "img{max-width:100%;margin:0.5em 0}</style></head><body>",
             "<h1>da report</h1>",
             "<p>Accuracy in %, mean ± sample std over seeds (the mean alone for one seed). <b>target acc (label-free "
             "selection)</b> is the headline; the ORACLE column selects with target labels "
             "and is not a fair result.</p>"]
    for task in sorted(groups):
        parts.append(f"<h2>{html.escape(task)}</h2><table><tr><th>method</th><th>seeds</th>"
                     + "".join(f"<th>{html.escape(HEADERS[m])}</th>" for m in cols)
                     + ("<th>published</th>" if reference is not None else "")
                     + "<th>note</th></tr>")
        for name, g in sorted(groups[task].items()):
            note = flags.get((task, name), "")
            seeds = f"{len(g.seeds)}" + (f" ({g.failed} failed)" if g.failed else "")
            parts.append(f"<tr><td>{html.escape(name)}</td><td>{seeds}</td>"
                         + "".join(f"<td>{g.cells[m].fmt()}</td>" for m in cols)
                         + (f"<td>{_pub(reference, task, name)}</td>" if reference is not None
                            else "")
                         + f"<td class='bad'>{html.escape(note)}</td></tr>")
        parts.append("</table>")
    failed = [r for r in rows if r.get("status", "ok") != "ok"]
    parts.append(f"<h2>Failed runs ({len(failed)})</h2>")
    if failed:
        parts.append("<table><tr><th>task</th><th>method</th><th>seed</th><th>status</th>"
                     "<th>error</th><th>run</th></tr>")
        for r in failed:
            parts.append("<tr>" + "".join(f"<td>{html.escape(str(r.get(k)))}</td>" for k in
                                          ("task", "method", "seed", "status", "error", "run_dir"))
                         + "</tr>")
        parts.append("</table>")
    else:
        parts.append("<p>none</p>")
    parts.append("<h2>Figures</h2>")
    parts += [_img(p) for p in figures]
    parts.append("</body></html>")
    return "\n".join(parts)
