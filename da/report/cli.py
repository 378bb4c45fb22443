"""``da-report RUN_OR_SWEEP_DIR [...]``: Markdown tables and a per-run CSV."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from da.errors import DAError
from da.report.collect import collect_runs, write_csv
from da.report.tables import markdown_tables, selection_tables, summarise


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="da-report", description=__doc__)
    p.add_argument("paths", nargs="+", help="run or sweep directories (searched recursively)")
    p.add_argument("--out", help="folder for results.csv and results.md (default: first path)")
    p.add_argument("--baseline", default="source_only", help="method the Δ column compares to")
    p.add_argument("--selection", action="store_true",
                   help="add per-validator tables: selected target accuracy vs the oracle")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        rows = collect_runs(args.paths)
        if not rows:
            raise DAError(f"no results.json found under {', '.join(args.paths)}; point "
                          "da-report at run or sweep directories")
        out = Path(args.out or args.paths[0])
        if out.is_file():
            out = out.parent
        text = markdown_tables(summarise(rows), baseline=args.baseline)
        if args.selection:
            text += "\n\n" + selection_tables(rows)
        write_csv(rows, out / "results.csv")
        (out / "results.md").write_text(text + "\n")
    except DAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(text)
    print(f"\n{len(rows)} runs; wrote {out / 'results.csv'} and {out / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
