import numpy as np
import pytest

import mbo_lib.reporting.pgs as pr
from mbo_lib.reporting import records_frame


def ci2(a, b):
    """The 95% t-interval of two values, by hand: mean ± t_{0.975,1} * s / sqrt(2) with s = |a - b| / sqrt(2)."""
    half = 12.706204736 * abs(a - b) / 2
    return f"[{(a + b) / 2 - half:.3f}, {(a + b) / 2 + half:.3f}]"


def checkpoint_frame(records):
    return records_frame(records, kind="checkpoints", short_names=True)


def _record(seed, scores, osel, task="TFBind8-Exact-v0", reg=None, ps=(10, 20), steps=(500, 1000)):
    """A PGS-shaped record: checkpoints in (p, steps) order with oracle p100 ``scores`` and OSEL ``osel``."""
    cps, curve = [], []
    for key, ((p, s), sc, o) in enumerate(zip([(p, s) for p in ps for s in steps], scores, osel)):
        cps.append({"key": key, "top_p": p, "epoch": key, "rl_steps": s, "osel_score": o, "surrogate_max": 2.0,
                    "selected": o == max(osel)})
        curve.append({"step": key, "norm_p100": sc, "norm_p50": sc / 2})
    return {"spec": {"task": task, "method": "PGS", "seed": seed, "regularizer": reg or {}},
            "result": {"norm_p100": max(scores)}, "extras": {"checkpoints": cps}, "curve": curve}


RECORDS = [_record(0, [0.5, 0.6, 0.9, 0.7], [1.0, 3.0, 2.0, 1.5]),  # OSEL picks (10, 1000): 0.6; best (20, 500): 0.9
           _record(1, [0.4, 0.8, 0.5, 0.6], [1.0, 2.0, 2.5, 0.1])]  # OSEL picks (20, 500): 0.5; best (10, 1000): 0.8


def test_checkpoint_frame_joins_each_checkpoint_with_its_curve_point():
    f = checkpoint_frame(RECORDS)
    assert len(f) == 8 and set(f.task) == {"TFBind8"}
    row = f[(f.seed == 1) & (f.top_p == 10) & (f.rl_steps == 1000)].iloc[0]
    assert row.norm_p100 == 0.8 and row.norm_p50 == 0.4 and row.osel_score == 2.0 and not row.selected
    assert f.selected.sum() == 2 and checkpoint_frame([]).empty


def test_sweep_table_per_checkpoint_and_per_p():
    f = checkpoint_frame(RECORDS)
    t = pr.sweep_table(f, by_checkpoint=True)
    cell = t[(t.top_p == 20) & (t.rl_steps == 500)].iloc[0]
    assert cell["oracle p100"] == f"0.700 ± 0.200 {ci2(0.9, 0.5)}" and cell["n"] == 2 and cell["OSEL picks"] == 1
    per_p = pr.sweep_table(f, by_checkpoint=False)
    assert list(per_p.top_p) == [10, 20]
    assert per_p.iloc[0]["oracle p100"] == f"0.700 ± 0.100 {ci2(0.6, 0.8)}"  # last checkpoint of p = 10: 0.6, 0.8
    assert list(per_p["OSEL picks"]) == [1, 1]
    assert pr.sweep_table(f, percentile=50).iloc[0]["oracle p50"] == f"0.225 ± 0.025 {ci2(0.25, 0.2)}"


def test_osel_regret_is_best_minus_pick():
    r = pr.osel_regret(checkpoint_frame(RECORDS))
    s0, s1 = r.iloc[0], r.iloc[1]
    assert (s0["OSEL pick p"], s0["OSEL pick RL steps"], s0["OSEL pick"]) == (10, 1000, 0.6)
    assert (s0["best p"], s0["best RL steps"], s0["best"]) == (20, 500, 0.9)
    assert s0["regret"] == pytest.approx(0.3) and s0["best p (last ckpt) − pick"] == pytest.approx(0.1)
    assert s0["p=20 (last ckpt)"] == 0.7
    assert s1["regret"] == pytest.approx(0.3) and s1["best p (last ckpt)"] == 10
    assert (r["regret"] >= 0).all()
    summary = pr.regret_summary(r)
    assert summary.iloc[0]["regret"] == "0.300 ± 0.000 [0.300, 0.300]" and summary.iloc[0]["OSEL pick = best"] == "0/2"
    assert summary.iloc[0]["OSEL pick"] == f"0.550 ± 0.050 {ci2(0.6, 0.5)}"
    assert summary.iloc[0]["n"] == 2


def test_a_pick_that_ties_the_best_has_zero_regret_and_tasks_keep_their_order():
    recs = [_record(0, [0.9, 0.9, 0.9, 0.9], [1.0, 1.0, 1.0, 2.0], task="TFBind10-Exact-v0"), RECORDS[0]]
    r = pr.osel_regret(checkpoint_frame(recs))
    assert list(r.task) == ["TFBind10", "TFBind8"]
    assert r.iloc[0]["regret"] == 0 and r.iloc[0]["OSEL pick p"] == 20 and r.iloc[0]["best p"] == 10
    assert pr.regret_summary(r).iloc[0]["OSEL pick = best"] == "1/1"
    assert list(pr.sweep_table(checkpoint_frame(recs), by_checkpoint=False).task) == ["TFBind10"] * 2 + ["TFBind8"] * 2


def test_plot_sweep_draws_one_line_per_checkpoint():
    import matplotlib

    matplotlib.use("Agg")
    axes = pr.plot_sweep(checkpoint_frame(RECORDS), "TFBind8-Exact-v0")
    assert len(axes[0].containers) == 2 and len(axes[1].containers) == 2
    offsets = axes[0].collections[-1].get_offsets()
    np.testing.assert_allclose(sorted(map(tuple, offsets)), [(10, 0.6), (20, 0.5)])


def _frame():
    import pandas as pd

    rows = [("PGS", "TFBind8-Exact-v0", 0, 0.9), ("PGS", "TFBind8-Exact-v0", 1, 0.7), ("GA", "TFBind8-Exact-v0", 0, 0.95),
            ("COMs", "TFBind8-Exact-v0", 0, 0.6), ("GA", "TFBind10-Exact-v0", 0, 0.5)]
    return pd.DataFrame([{"method": m, "task": t, "seed": s, "norm_p100": v, "norm_p50": v / 2} for m, t, s, v in rows])


def test_method_task_table_cells():
    t = pr.method_task_table(_frame(), ["PGS", "GA", "MINs"], ["TFBind8-Exact-v0", "TFBind10-Exact-v0", "Ant"],
                             not_run={"Ant": "no oracle"})
    assert t.loc["PGS", "TFBind8 p100"] == f"0.800 ± 0.100 {ci2(0.9, 0.7)} (2)"
    assert t.loc["PGS", "TFBind8 p50"] == f"0.400 ± 0.050 {ci2(0.45, 0.35)} (2)"
    assert t.loc["GA", "TFBind8 p100"] == "0.950 ± 0.000 [—] (1)"
    assert t.loc["PGS", "TFBind10 p100"] == "—" and t.loc["MINs", "TFBind8 p100"] == "—"
    assert t.loc["GA", "Ant p100"] == "not run"


def test_rank_sentences():
    text = pr.rank_sentences(_frame(), "PGS", ["PGS", "GA", "COMs"], ["TFBind8-Exact-v0", "TFBind10-Exact-v0"])
    lines = text.splitlines()
    assert lines[0] == (f"- TFBind8: PGS 0.800 (n=2, 95% CI {ci2(0.9, 0.7)}), rank 2 of 3; best other GA 0.950 (n=1) "
                        "(Δ -0.150).")
    assert lines[1] == "- TFBind10: no PGS record."


def _constant_record(seed, score, task="TFBind8-Exact-v0"):
    """A constant-policy ablation record (claim P3): one checkpoint, key 0, top_p None, rl_steps 0, selected."""
    rec = _record(seed, [score], [0.0], task=task, ps=(None,), steps=(0,))
    rec["spec"]["overrides"] = {"policy": "constant"}
    rec["hyperparameters"] = {"policy": "constant"}
    return rec


def test_constant_policy_runs_do_not_enter_the_pgs_tables():
    ablation = [_constant_record(0, 0.99), _constant_record(1, 0.01)]
    mixed, clean = checkpoint_frame(RECORDS + ablation), checkpoint_frame(RECORDS)
    assert len(mixed) == len(clean) + 2 and mixed.top_p.isna().sum() == 2  # the ablation rows are in the frame ...
    for by in (True, False):  # ... but in none of the tables
        assert pr.sweep_table(mixed, by_checkpoint=by).equals(pr.sweep_table(clean, by_checkpoint=by))
    assert pr.osel_regret(mixed).equals(pr.osel_regret(clean))
    runs = records_frame(RECORDS + ablation)
    assert pr.method_task_table(runs, ["PGS"], ["TFBind8-Exact-v0"], percentiles=(100,)).equals(
        pr.method_task_table(records_frame(RECORDS), ["PGS"], ["TFBind8-Exact-v0"], percentiles=(100,)))
    assert [pr.record_policy(r) for r in RECORDS + ablation] == ["learned"] * 2 + ["constant"] * 2
    assert pr.learned_policy_records(RECORDS + ablation) == RECORDS
