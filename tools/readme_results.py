"""Rewrite the README's results section (between ``<!-- results:start -->`` and ``<!-- results:end -->``) from the
committed records.

Usage:
    python tools/readme_results.py            # rewrite README.md in place
    python tools/readme_results.py --check    # exit 1 when README.md differs from what the records give now
    python tools/readme_results.py --print    # print the section only

The section holds the claims scoreboard's verdicts, GA and the other design-baselines optimizers on TF-Bind-8/10
(quick profile, 100th percentile, n and 95% intervals), the IGNITE gain summary (cells improved / worsened / no
detectable change by the paired interval, with the power at that n; quick, then IGNITE's own settings from the
campaign's records) and MATCH-OPT and PGS next to their published numbers, each linking to
its notebook. Everything comes from stored records through :mod:`mbo_lib.reporting` (nothing is computed; the
intervals are t-intervals at these n and the claims' bootstraps are seeded; I5 and M3, fitted live, come from the
executed notebooks/claims.ipynb), so the output is deterministic and a test
(``tests/test_readme_results.py``) fails while the README is stale. Re-run this tool after records change.
"""
from __future__ import annotations

import json

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mbo_lib import stats  # noqa: E402
from mbo_lib.errors import MBOError  # noqa: E402

README = ROOT / "README.md"
RECORDS = ROOT / "records"  # the committed records, whatever MBO_RECORDS_DIR says
START, END = "<!-- results:start -->", "<!-- results:end -->"
TASKS = ("TFBind8-Exact-v0", "TFBind10-Exact-v0")
BASELINES = ("GA", "GA-Ensemble-Mean", "GA-Ensemble-Min", "COMs", "REINFORCE", "BO-qEI", "CMA-ES", "CbAS", "MINs")
PROFILE = "quick"
CLAIMS_COLUMNS = ("claim", "statement", "settings", "n", "verdict")


def _link(name: str) -> str:
    return f"[`{name}`](notebooks/{name}.ipynb)"


def _md_table(header, rows) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"] + \
        ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]


def _cell(c) -> str:
    """``0.952 ± 0.031 [0.895, 1.010]`` (mean ± population std, 95% interval); ``—`` without records."""
    if c.n == 0:
        return "—"
    return f"{stats.fmt_pm(c.mean, c.std)} {stats.fmt_ci(c.low, c.high) if c.n > 1 else '[—]'}"


def _stale_note(table) -> list[str]:
    return [f"_{n}_" for n in table.notes if n.startswith("Left out")]


# ------------------------------------------------------------------------------------------ parts
def claims_part(store) -> list[str]:
    """The claims scoreboard's verdicts (quick and paper settings) from the records; the live-fitted claims I5 and
    M3 take the verdicts recorded by the committed, executed notebooks/claims.ipynb (nothing is fitted here)."""
    try:
        from mbo_lib.reporting import claims
    except ImportError:
        claims = None
    if claims is None or not hasattr(claims, "scoreboard"):
        # a checkout without the claims module (tests/test_readme_results.py covers both paths)
        return ["**Claims scoreboard**: see [notebooks/claims.ipynb](notebooks/claims.ipynb)."]
    board = claims.scoreboard(settings=("quick", "paper"), store=store, toy=False)
    live = _live_verdicts()
    for i, r in board.iterrows():  # I5 and M3 are fitted live, not read from records: the executed notebook's verdict
        if r["claim"] in live and r["settings"] == "quick":
            board.loc[i, "verdict"] = f"{live[r['claim']]} (fitted in the executed notebook)"
    cols = [c for c in CLAIMS_COLUMNS if c in board.columns]
    rows = [[str(r[c]).replace("|", "/").replace("\n", " ") for c in cols] for _, r in board.iterrows()]
    return ["**Claims scoreboard** (does each paper's claim hold on our records? rules and evidence: "
            f"{_link('claims')}):", "", *_md_table(cols, rows)]


def _live_verdicts() -> dict[str, str]:
    """The quick verdicts of the live-fitted claims (I5, M3) recorded by the last cell of the committed, executed
    notebooks/claims.ipynb; {} when it is absent or has no such record."""
    import nbformat

    path = ROOT / "notebooks" / "claims.ipynb"
    if not path.exists():
        return {}
    last = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"][-1]
    for out in last.get("outputs", []):
        text = out.get("text") or out.get("data", {}).get("text/plain", "")
        try:
            verdicts = json.loads(text)
        except (TypeError, ValueError):
            continue
        return {c: v["quick"] for c, v in verdicts.items() if c in ("I5", "M3") and "quick" in v}
    return {}


def baselines_part(store) -> list[str]:
    from mbo_lib.reporting.results_table import results_table

    t = results_table(store, profile=PROFILE, methods=BASELINES, tasks=TASKS, percentile=100,
                      sources=("ROOT",), with_dataset_best=False)
    header = ["method"] + [h for task in t.tasks for h in (f"{task} ours", "n", f"{task} ROOT")]
    rows = []
    for m in t.methods:
        row = [m]
        for task in t.tasks:
            pub = t.published.get((m, task, "ROOT"))
            row += [_cell(t.cells[(m, task)]), t.cells[(m, task)].n, "—" if pub is None else stats.fmt_pm(*pub)]
        rows.append(row)
    return [f"**GA and the other design-baselines optimizers** ({_link('baselines_table')}; `mbo table --profile "
            f"quick` prints it with every source):", "", *_md_table(header, rows), "", *_stale_note(t)]


def _mde(summary: dict) -> str:
    mde = summary["mde_percent"]
    return "" if mde != mde else (f" A per-cell gain must be about {mde:.1f}% to be detectable at this n; a "
                                  f"{summary['effect_percent']:g}% gain would need about n = {summary['n_for_effect']}.")


def _counts(s: dict) -> str:
    return (f"of {s['cells']} cells with a paired 95% interval, **{s['improves']} improve, {s['worsens']} worsen, "
            f"{s['no detectable change']} show no detectable change**; mean gain {s['mean_gain_percent']:+.2f}% "
            f"(peak {s['peak_gain_percent']:+.2f}%, {s['peak_where']}).{_mde(s)}")


def _paper_settings_sentence(store) -> str:
    """IGNITE's gain at its own settings (the campaign's paper-profile records), or "" without the claims module or
    without a paired cell."""
    try:
        from mbo_lib.reporting import claims
    except ImportError:
        return ""
    if not hasattr(claims, "i1_evidence"):
        return ""
    from mbo_lib.reporting import ignite as ig

    s = ig.gain_summary(claims.i1_evidence(claims.Setting("paper", store=store)))
    if not s["cells"]:
        return ""
    return (f" At IGNITE's own settings (`paper` profile, its run scripts' settings; the campaign's records, "
            f"progress in [records/paper/PROGRESS.md](records/paper/PROGRESS.md)), n = {s['n_seeds']} paired seeds "
            f"per cell (median): {_counts(s)}")


def ignite_part(store) -> list[str]:
    from mbo_lib.experiments.record import records_frame
    from mbo_lib.reporting import ignite as ig
    from mbo_lib.reporting.results_table import select_records

    plain = select_records(store, profile=PROFILE, methods=BASELINES, tasks=TASKS)
    reg = select_records(store, profile=PROFILE, regularizer="ignite", methods=BASELINES, tasks=TASKS)
    frame = records_frame(plain.records + reg.records)
    s = ig.gain_summary(ig.gains(frame, BASELINES, TASKS, percentile=100, variant="ignite"))
    h = ig.ignite_headline()
    if not s["gain_cells"]:
        return [f"**IGNITE** ({_link('ignite_gain_table')}): no cell has runs with and without IGNITE yet."]
    left = len(plain.stale) + len(reg.stale)
    return [f"**IGNITE's gain** ({_link('ignite_gain_table')}), the nine optimizers x TF-Bind-8/10, 100th pct., "
            f"n = {s['n_seeds']} paired seeds per cell (median): {_counts(s)}{_paper_settings_sentence(store)} "
            f"Paper: {h['improved']}/{h['cells']} improved, {h['decreased']} decreased, {h['unchanged']} unchanged "
            f"({h['trials']} trials, four tasks)."
            + (f" _{left} stale record(s) left out._" if left else "")]


def published_part(store) -> list[str]:
    from mbo_lib.reporting.results_table import results_table

    header = ["method", "task", "ours (100th pct.)", "n", "ROOT", "Offline-RaM", "notebook"]
    rows, notes = [], []
    for method, notebook in (("MATCH-OPT", "matchopt_main_table"), ("PGS", "pgs_main_table")):
        t = results_table(store, profile=PROFILE, methods=[method], tasks=TASKS, percentile=100,
                          sources=("ROOT", "Offline-RaM"), with_dataset_best=False)
        notes += _stale_note(t)
        for task in t.tasks:
            pubs = [t.published.get((method, task, s)) for s in ("ROOT", "Offline-RaM")]
            rows.append([method, task, _cell(t.cells[(method, task)]), t.cells[(method, task)].n,
                         *("—" if p is None else stats.fmt_pm(*p) for p in pubs), _link(notebook)])
    return ["**MATCH-OPT and PGS next to the published numbers** (ROOT: NeurIPS 2025, Table 1; Offline-RaM: "
            "ICLR 2025, Table 2):", "", *_md_table(header, rows), *([""] + notes if notes else [])]


def section(records=RECORDS) -> str:
    """The generated section, markers included."""
    from mbo_lib.experiments import RecordStore

    store = RecordStore(records)
    parts = [claims_part(store), baselines_part(store), ignite_part(store), published_part(store)]
    body = [START, "<!-- generated by tools/readme_results.py from the committed records: do not edit by hand -->",
            "", f"Our numbers, from the committed records at the `{PROFILE}` profile (smaller networks and fewer "
                "epochs than the papers; see [Profiles](#profiles)): normalized score, mean ± population std over n "
                "seeds [95% interval of the mean: t-interval below 10 seeds, seeded BCa bootstrap from 10], \"—\" "
                "where there is no record. Published values are mean ± std over 8 trials."]
    for part in parts:
        body += [""] + list(part)
    return "\n".join(body + ["", END])


def rewrite(text: str, new_section: str) -> str:
    """``text`` with the part from START to END (markers included) replaced by ``new_section``.

    Raises:
        MBOError: the markers are missing, repeated or out of order (the message says which).
    """
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise MBOError(f"README.md needs exactly one {START} followed by one {END} "
                       f"(found {text.count(START)} start and {text.count(END)} end markers)")
    return text[:text.index(START)] + new_section + text[text.index(END) + len(END):]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Rewrite README.md's generated results section from the records.")
    p.add_argument("--check", action="store_true", help="exit 1 if README.md is not what the records give now")
    p.add_argument("--print", dest="print_only", action="store_true", help="print the section, write nothing")
    p.add_argument("--readme", default=str(README), help="the README to rewrite (default: the repository's)")
    p.add_argument("--records", default=str(RECORDS), help="the record store (default: the committed records/)")
    args = p.parse_args(argv)
    try:
        new = section(args.records)
        if args.print_only:
            print(new)
            return 0
        path = Path(args.readme)
        old = path.read_text()
        updated = rewrite(old, new)
    except (MBOError, OSError) as exc:
        print(f"readme_results: error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if updated != old:
            print(f"{path} is stale: run `python tools/readme_results.py`", file=sys.stderr)
            return 1
        return 0
    if updated != old:
        path.write_text(updated)
    print(f"{path}: results section {'rewritten' if updated != old else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
