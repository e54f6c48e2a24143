"""Tests of mbo_lib.reporting.matchopt on hand-made records (ranks and MNRs computed by hand)."""
import numpy as np
import pandas as pd
import pytest

from mbo_lib.reporting import matchopt as mo
from mbo_lib.reporting import records_frame

T8, T10, ACK, ANT = "TFBind8-Exact-v0", "TFBind10-Exact-v0", "Ackley-Synthetic-v0", "AntMorphology-Exact-v0"
LEVY = "Levy-Synthetic-v0"


def rec(method, task, seed, p100, p50=None, start=None, init="top_k", epochs=10):
    p50 = p100 - 0.2 if p50 is None else p50
    start = (p100, p50) if start is None else start
    return {"spec": {"task": task, "method": method, "seed": seed, "profile": "quick", "overrides": {},
                     "regularizer": {}},
            "result": {"norm_p100": p100, "norm_p80": p100 - 0.1, "norm_p50": p50},
            "curve": [{"step": 150, "norm_p100": p100, "norm_p50": p50},
                      {"step": 0, "norm_p100": start[0], "norm_p50": start[1]}],
            "extras": {"search_init": init}, "hyperparameters": {"epochs": epochs}, "timings": {"total_seconds": 1.0}}


def test_score_matrix_rounds_means_and_leaves_missing_cells_nan():
    frame = records_frame([rec("GA", T8, 0, 0.9001), rec("GA", T8, 1, 0.9003), rec("COMs", T10, 0, 0.5)])
    m = mo.score_matrix(frame, ["GA", "COMs", "MINs"], [T8, T10], 100)
    assert list(m.columns) == ["TFBind8", "TFBind10"] and list(m.index) == ["GA", "COMs", "MINs"]
    assert m.loc["GA", "TFBind8"] == 0.9 and m.loc["COMs", "TFBind10"] == 0.5
    assert np.isnan(m.loc["GA", "TFBind10"]) and m.loc["MINs"].isna().all()


def test_rank_table_ties_share_the_average_rank_and_missing_cells_are_not_ranked():
    scores = pd.DataFrame({"A": [0.9, 0.9, 0.5, 0.1], "B": [0.2, np.nan, 0.4, 0.3]}, index=["m1", "m2", "m3", "m4"])
    r = mo.rank_table(scores)
    assert r.loc["m1", "A"] == pytest.approx(1.5 / 4) and r.loc["m2", "A"] == pytest.approx(1.5 / 4)
    assert r.loc["m3", "A"] == pytest.approx(3 / 4) and r.loc["m4", "A"] == pytest.approx(1.0)
    assert r.loc["m3", "B"] == pytest.approx(1 / 3) and r.loc["m1", "B"] == pytest.approx(1.0)  # 3 ranked on B
    assert np.isnan(r.loc["m2", "B"])
    assert r.loc["m2", "MNR"] == pytest.approx(1.5 / 4) and r.loc["m2", "tasks"] == 1
    assert r.loc["m1", "MNR"] == pytest.approx((1.5 / 4 + 1.0) / 2) and r.loc["m1", "tasks"] == 2


def test_main_table_cells_not_run_n_and_mnr():
    records = [rec("GA", T8, 0, 0.9), rec("GA", T8, 1, 0.8), rec("GA", T10, 0, 0.6),
               rec("MATCH-OPT", T8, 0, 0.7), rec("MATCH-OPT", T10, 0, 0.6)]
    t = mo.main_table(records_frame(records), ["GA", "MATCH-OPT", "MINs"], [T8, T10, ANT], 100,
                      not_run={ANT: "no data"})
    # 2 seeds: t-interval 0.85 ± t_{0.975,1} * 0.0707 / sqrt(2) = 0.85 ± 12.706 * 0.05; 1 seed: no interval
    assert t.loc["GA", "TFBind8"] == "0.850 ± 0.050 [0.215, 1.485]" and t.loc["GA", "n"] == "1–2"
    assert t.loc["MATCH-OPT", "TFBind8"] == "0.700 ± 0.000 [—]"
    assert t.loc["MATCH-OPT", "n"] == "1" and t.loc["MINs", "TFBind8"] == "—" and t.loc["MINs", "n"] == "0"
    assert (t["Ant"] == "not run").all()
    # TFBind8: GA 1/2, MATCH-OPT 2/2; TFBind10: tie 0.6 -> both 1.5/2
    assert t.loc["GA", "MNR"] == f"{(0.5 + 0.75) / 2:.3f}" and t.loc["MATCH-OPT", "MNR"] == f"{(1.0 + 0.75) / 2:.3f}"
    assert t.loc["GA", "MNR place"] == 1 and t.loc["MATCH-OPT", "MNR place"] == 2 and t.loc["MINs", "MNR"] == "—"


def test_mnr_table_compares_with_the_published_ranks_on_the_same_cells():
    records = [rec("GA", T8, 0, 0.5), rec("MATCH-OPT", T8, 0, 0.9), rec("GA-Ensemble-Mean", T8, 0, 0.1),
               rec("GA", T10, 0, 0.5), rec("MATCH-OPT", T10, 0, 0.6), rec("GA-Ensemble-Mean", T10, 0, 0.7),
               rec("GA", ACK, 0, 0.5), rec("MATCH-OPT", ACK, 0, 0.4)]
    methods, tasks = ["GA", "MATCH-OPT", "GA-Ensemble-Mean"], [T8, T10, ACK, ANT]
    t = mo.mnr_table(records_frame(records), methods, tasks, 100, not_run={ANT: "no data"})
    # ours, runnable tasks: TFBind8 MO 1/3 GA 2/3 GEM 1; TFBind10 GEM 1/3 MO 2/3 GA 1; Ackley GA 1/2 MO 1
    assert t.loc["GA", "ours: runnable tasks"] == pytest.approx((2 / 3 + 1 + 0.5) / 3)
    assert t.loc["GA-Ensemble-Mean", "ours: runnable tasks"] == pytest.approx((1 + 1 / 3) / 2)
    # ROOT has no GA-Ensemble-Mean row: the same cells are GA and MATCH-OPT on TF-Bind-8/10.
    # ROOT: GA 0.985 / 0.638 beats MATCH-OPT 0.977 / 0.543 on both -> GA 0.5, MATCH-OPT 1.0
    assert t.loc["GA", "ROOT: same cells"] == pytest.approx(0.5) and t.loc["MATCH-OPT", "ROOT: same cells"] == 1.0
    assert np.isnan(t.loc["GA-Ensemble-Mean", "ROOT: same cells"])
    assert t.loc["GA", "ours: cells with ROOT"] == pytest.approx((1.0 + 1.0) / 2)  # ours: MO wins both
    # Offline-RaM: TF-Bind-8 GEM 0.985 > GA 0.969 > MO 0.824; TF-Bind-10 MO 0.655 > GA 0.646 > GEM 0.633
    assert t.loc["MATCH-OPT", "Offline-RaM: same cells"] == pytest.approx((1.0 + 1 / 3) / 2)
    cols = mo.mnr_tasks(records_frame(records), methods, tasks, 100, not_run={ANT: "no data"})
    assert cols["ours: runnable tasks"] == ["TFBind8", "TFBind10", "Ackley"]
    assert cols["cells with ROOT"] == ["TFBind8", "TFBind10"] and "Ant" in cols["Offline-RaM: all its tasks"]


def test_search_moves_and_the_generated_explanation():
    from mbo_lib.experiments import load_task

    levy = load_task(LEVY)
    start = float(levy.normalize_score(levy.y.max()))
    records = [rec("MATCH-OPT", LEVY, s, start, 0.5, start=(start, 0.5)) for s in (0, 1)]
    records += [rec("MATCH-OPT", T8, 0, 0.9, 0.4, start=(0.8, 0.3), init="noise"),
                rec("MATCH-OPT", T8, 1, 0.85, 0.35, init="noise"),
                rec("MATCH-OPT", ACK, 0, 0.4, 0.3, start=(0.16, 0.15)), rec("GA", T8, 0, 0.95)]
    moves = mo.search_moves(records).set_index("task")
    assert moves.loc[LEVY, "n"] == 2 and moves.loc[LEVY, "unchanged"] == 2 and moves.loc[LEVY, "init"] == "top_k"
    assert moves.loc[T8, "unchanged"] == 1 and moves.loc[T8, "start_p100"] == pytest.approx(0.825)
    assert moves.loc[ACK, "unchanged"] == 0
    text = mo.explain_differences(records_frame(records), records, ["GA", "MATCH-OPT"], [T8, LEVY, ACK, ANT],
                                  not_run={ANT: "no data"})
    lines = text.splitlines()
    assert lines[0].startswith("- **TFBind8**: ours 0.875 ± 0.025 (n=2, 95% CI [0.557, 1.193]); ROOT 0.977 ± 0.004 "
                               "(Δ -0.102, 95% CI of Δ [-0.415, 0.211]: consistent; outside ±2σ)")
    assert "Offline-RaM 0.824 ± 0.067 (Δ +0.051, 95% CI of Δ [-0.054, 0.156]: consistent; within ±2σ)" in lines[0]
    assert "rank 2 of 2 here" in lines[0] and "1/2 seeds end where they started" in lines[0]
    assert "disagree by 0.153" in lines[0]  # |0.977 - 0.824| > 2 * (0.004 + 0.067)
    assert ("50th pct.: ours 0.375 ± 0.025 vs Offline-RaM 0.435 ± 0.017 (Δ -0.060, 95% CI of Δ [-0.315, 0.195]: "
            "consistent; outside ±2σ)") in lines[0]
    assert f"On every seed (2/2) the step-150 score equals the step-0 score ({start:.3f}" in lines[1]
    assert "the oracle scores 0 of them above and 0 below their labels" in lines[1]  # synthetic: labels = oracle
    assert "no published value" in lines[2] and "climbs from 0.160" in lines[2]
    assert lines[3] == "- **Ant**: not run here: no data."
    assert "for 10 epochs, the official code for 200" in lines[4] and "no paper-profile record exists yet" in lines[4]
    assert "Test of that hypothesis" not in text
    # a paper-profile run on TF-Bind-8 is quoted, with its verdict against the quick mean (0.875)
    paper = [rec("MATCH-OPT", T8, 0, 0.84, epochs=200)]
    text = mo.explain_differences(records_frame(records), records, ["GA", "MATCH-OPT"], [T8, LEVY, ACK, ANT],
                                  not_run={ANT: "no data"}, paper_records=paper)
    assert ("Test of that hypothesis: 1 paper-profile run(s) (200 epochs) scored 0.840, not higher than the quick "
            "runs' 0.875: training length alone does not explain the gap.") in text
    assert "paper-profile runs exist only for TFBind8" in text
    higher = mo.explain_differences(records_frame(records), records, ["GA", "MATCH-OPT"], [T8], paper_records=
                                    [rec("MATCH-OPT", T8, s, 0.95 + s / 100, epochs=200) for s in (0, 1)])
    assert "scored 0.955 ± 0.005 (95% CI [0.891, 1.019]), higher than the quick runs' 0.875." in higher


@pytest.mark.parametrize("task_id", [LEVY, T8])
def test_top_k_start_scores_match_the_labels_where_the_oracle_is_the_label(task_id):
    from mbo_lib.experiments import load_task

    task = load_task(task_id)
    st = mo.top_k_start_scores(task_id)
    assert st["above"] == st["below"] == 0
    assert st["oracle_p100"] == pytest.approx(st["dbest"]) == pytest.approx(float(task.normalize_score(task.y.max())))


def test_plot_ranks_shows_the_rank_table_values():
    import matplotlib

    matplotlib.use("Agg")
    scores = pd.DataFrame({"A": [0.9, 0.5], "B": [np.nan, 0.4]}, index=["m1", "m2"])
    ranks = mo.rank_table(scores)
    ax = mo.plot_ranks(ranks)
    shown = ax.images[0].get_array()
    np.testing.assert_allclose(shown.data[~shown.mask], [0.5, 0.5, 1.0, 1.0, 1.0])  # m1: A, MNR; m2: A, B (alone), MNR
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A", "B", "MNR"]
    assert sorted(t.get_text() for t in ax.texts) == ["0.50", "0.50", "1.00", "1.00", "1.00"]
    assert shown.mask[0, 1]  # m1 has no score on B: blank


def test_ignite_training_end_averages_the_last_epoch_of_the_ignite_runs():
    def run(seed, reg, lam, sharp):
        r = rec("MATCH-OPT", T8, seed, 0.9)
        r["spec"]["regularizer"] = reg
        r["train"] = [[{"epoch": 1, "ignite_lambda_end": 9.0, "ignite_sharpness": 9.0},
                       {"epoch": 2, "ignite_lambda_end": lam, "ignite_sharpness": sharp}]]
        return r

    records = [run(0, {"name": "ignite"}, 0.1, 0.2), run(1, {"name": "ignite"}, -0.3, 0.1), run(0, {}, 5.0, 5.0)]
    t = mo.ignite_training_end(records)
    assert len(t) == 1 and t.loc[0, "n"] == 2 and t.loc[0, "epochs"] == 2 and t.loc[0, "task"] == "TFBind8"
    assert t.loc[0, "lambda_end"] == pytest.approx(-0.1) and t.loc[0, "sharpness"] == pytest.approx(0.15)
    assert mo.ignite_training_end([records[2]]).empty


def test_describe_ignite_from_gains_sharpness_and_records():
    from mbo_lib.reporting import ignite as ig

    IG = {"name": "ignite"}

    def run(task, seed, p100, reg, grad_norm, lam, start=None):
        r = rec("MATCH-OPT", task, seed, p100, start=start)
        r["spec"]["regularizer"], r["surrogate_grad_norm_on_candidates"] = reg, grad_norm
        r["train"] = [[{"epoch": 1, "ignite_lambda_end": lam, "ignite_sharpness": 0.1}]] if reg else [[{"epoch": 1}]]
        return r

    records = [run(T8, 0, 0.8, {}, 4.0, 0, start=(0.5, 0.1)), run(T8, 0, 0.88, IG, 2.0, 0.05, start=(0.5, 0.1)),
               run(T10, 0, 0.6, {}, 1.0, 0), run(T10, 0, 0.6, IG, 1.0, -0.01)]  # T10: the score never moves
    frame = records_frame(records)
    g100, g50 = ig.gains(frame, ["MATCH-OPT"], [T8, T10], 100), ig.gains(frame, ["MATCH-OPT"], [T8, T10], 50)
    sharp = ig.sharpness_table(frame, ["MATCH-OPT"], [T8, T10])
    lines = mo.describe_ignite(g100, g50, sharp, records).splitlines()
    assert lines[0] == ("- 100th percentile, 2 tasks with paired runs: IGNITE's paired 95% interval lies above 0 "
                        "(improves) on 0, below 0 (worsens) on 0, holds 0 (no detectable change) on 0, and 2 have "
                        "fewer than 2 paired seeds (no verdict); gains from +0.00% (MATCH-OPT / TFBind10) to +10.00% "
                        "(MATCH-OPT / TFBind8), mean +5.00%.")
    assert lines[2] == ("- Sharpness on TFBind8: 0.2000 ± 0.0000 without, 0.1000 ± 0.0000 with IGNITE (+50.0% reduction, "
                        "95% CI —, n=1).")
    assert "- On TFBind10 the difference of the means" not in lines  # 0 < 0 + 0 is false: std 0, no claim line
    assert any(line.startswith("- TFBind10: with and without IGNITE the search leaves") for line in lines)
    assert lines[-1].startswith("- The multiplier ended at or below 0 on TFBind10 (-0.0100)")
