"""Tests of mbo_lib.reporting.ignite on hand-made records (exact numbers computed by hand)."""
import json

import numpy as np
import pytest

from mbo_lib import stats
from mbo_lib.reporting import ignite as ig
from mbo_lib.reporting import records_frame

T8 = "TFBind8-Exact-v0"


def rec(method, seed, p100, reg=None, task=T8, grad_norm=None, curve=()):
    return {"spec": {"task": task, "method": method, "seed": seed, "regularizer": reg or {}},
            "result": {"norm_p100": p100, "norm_p80": p100 - 0.1, "norm_p50": p100 - 0.2},
            "surrogate_grad_norm_on_candidates": grad_norm, "curve": [dict(step=s, norm_p100=v) for s, v in curve],
            "timings": {"total_seconds": 1.0}}


IG = {"name": "ignite"}


def test_headline_file_has_the_papers_counts_and_a_source():
    h = ig.ignite_headline()
    assert h["improved"] + h["decreased"] + h["unchanged"] == h["cells"] == 44
    assert (h["improved_avg_gain_percent"], h["peak_gain_percent"]) == (1.91, 9.6)
    assert "IGNITE" in h["source"]


def test_gains_use_only_paired_seeds_and_the_papers_formula():
    records = [rec("GA", 0, 0.8), rec("GA", 1, 0.6), rec("GA", 2, 0.1),  # seed 2 has no IGNITE run: left out
               rec("GA", 0, 0.9, IG), rec("GA", 1, 0.7, IG), rec("GA", 3, 5.0, IG)]  # seed 3 has no plain run
    g = ig.gains(records_frame(records), ["GA", "COMs"], [T8])
    ga, coms = g.iloc[0], g.iloc[1]
    assert ga.n == 2 and ga.without_mean == pytest.approx(0.7) and ga.with_mean == pytest.approx(0.8)
    assert ga.without_std == pytest.approx(0.1)  # population std
    assert ga.gain == pytest.approx((0.8 - 0.7) / 0.7 * 100)
    assert coms.n == 0 and np.isnan(coms.gain) and coms.verdict == "—"
    # paired differences 0.1 and 0.1: zero spread, so the interval is [0.1, 0.1] and excludes 0
    assert (ga.diff_low, ga.diff_high) == pytest.approx((0.1, 0.1)) and ga.verdict == "improves"
    table = ig.gain_table(g, not_run={"TFBind10-Exact-v0": "no data"})
    assert list(table["gain %"]) == [f"{(0.8 - 0.7) / 0.7 * 100:+.2f}%", "—"]
    assert table.loc[0, "without"] == "0.700 ± 0.100" and table.loc[0, "n"] == 2
    assert table.loc[0, "gain 95% CI"] == "[+14.29, +14.29]%" and list(table.verdict) == ["improves", "—"]
    wide = ig.gain_table(g, wide=True)
    assert list(wide.index) == ["GA", "COMs"] and wide.loc["GA", ("TFBind8", "gain %")] == table.loc[0, "gain %"]


def test_gain_table_marks_not_run_tasks():
    g = ig.gains(records_frame([]), ["GA"], ["AntMorphology-Exact-v0"])
    table = ig.gain_table(g, not_run={"AntMorphology-Exact-v0": "MissingDataError: no oracle"})
    assert table.loc[0, "without"] == "not run: MissingDataError: no oracle" and table.loc[0, "n"] == 0


def test_gains_of_ignite2_ignore_ignite_runs_and_percentile_is_selectable():
    records = [rec("GA", 0, 0.5), rec("GA", 0, 0.6, IG), rec("GA", 0, 0.55, {"name": "ignite2"})]
    frame = records_frame(records)
    assert ig.gains(frame, ["GA"], [T8], variant="ignite2").gain[0] == pytest.approx(10.0)
    assert ig.gains(frame, ["GA"], [T8], percentile=50).gain[0] == pytest.approx((0.4 - 0.3) / 0.3 * 100)


def _cells(diffs_by_method, base=0.5):
    """Records of one cell per method: plain runs at ``base`` + seed noise, IGNITE runs shifted by the diffs."""
    out = []
    for method, diffs in diffs_by_method.items():
        for seed, d in enumerate(diffs):
            b = base + 0.01 * seed
            out += [rec(method, seed, b), rec(method, seed, b + d, IG)]
    return out


def test_gain_summary_counts_paired_verdicts_not_a_threshold():
    records = _cells({"GA": [0.05, 0.06, 0.05, 0.055],  # clear gain: interval above 0
                      "COMs": [0.02, 0.021, 0.019, 0.02],  # small but consistent gain: still "improves"
                      "REINFORCE": [-0.03, -0.031, -0.029, -0.03],  # clear loss
                      "CMA-ES": [0.04, -0.04, 0.03, -0.035],  # noise: the interval holds 0
                      "CbAS": [0.01]})  # one paired seed: no verdict
    g = ig.gains(records_frame(records), ["GA", "COMs", "REINFORCE", "CMA-ES", "CbAS"], [T8])
    assert list(g.verdict) == ["improves", "improves", "worsens", "no detectable change", "—"]
    s = ig.gain_summary(g)
    assert (s["cells"], s["improves"], s["worsens"], s["no detectable change"], s["no_verdict"]) == (4, 2, 1, 1, 1)
    assert s["improved_avg_gain_percent"] == pytest.approx(g.gain[:2].mean())
    assert s["peak_where"] == "GA / TFBind8" and s["worst_where"] == "REINFORCE / TFBind8"
    # signs of every cell with a gain (CbAS included): GA, COMs, CbAS up; REINFORCE and CMA-ES (mean diff -0.00125) down
    assert (s["sign_test"]["n_positive"], s["sign_test"]["n_negative"]) == (3, 2)
    assert s["n_seeds"] == 4 and s["mde_percent"] > 0 and s["n_for_effect"] >= 2
    h = ig.headline_table(s).set_index("statistic")
    assert h.loc["improves (paired 95% CI above 0)", "ours"] == "2/4"
    assert h.loc["improves (paired 95% CI above 0)", "IGNITE paper"] == "35/44 improved"
    assert h.loc["worsens (paired 95% CI below 0)", "IGNITE paper"] == "4/44 decreased"
    assert "sign test" in " ".join(h.index) and "n = 4" in ig.power_line(s)


def test_settings_headline_table_keeps_labels_apart_and_compares_like_with_like():
    from mbo_lib.errors import InvalidInputError

    methods = ["GA", "COMs", "REINFORCE", "CMA-ES"]
    quick = ig.gains(records_frame(_cells({"GA": [0.05, 0.06, 0.05, 0.055], "COMs": [0.02, 0.021, 0.019, 0.02],
                                           "REINFORCE": [-0.03, -0.031, -0.029, -0.03],
                                           "CMA-ES": [0.04, -0.04, 0.03, -0.035]})), methods, [T8])
    # the paper-settings label has paired runs for REINFORCE and CMA-ES only (GA: one seed, no verdict)
    paper = ig.gains(records_frame(_cells({"REINFORCE": [0.01, 0.02, 0.015], "CMA-ES": [-0.02, 0.01, 0.0],
                                           "GA": [0.3]})), methods, [T8])
    t = ig.settings_headline_table({"quick": quick, "ignite": paper}, restrict_to="ignite").set_index("statistic")
    assert list(t.columns) == ["ours (quick)", "ours (quick, ignite's cells)", "ours (ignite)", "IGNITE paper"]
    # each column is the gain_summary of its own cells, never pooled
    for column, g in [("ours (quick)", quick), ("ours (ignite)", paper),
                      ("ours (quick, ignite's cells)", quick[quick.method.isin(["REINFORCE", "CMA-ES"])])]:
        assert list(t[column]) == list(ig.headline_table(ig.gain_summary(g))["ours"]), column
    assert t.loc["improves (paired 95% CI above 0)"].tolist() == ["2/4", "0/2", "1/2", "35/44 improved"]
    assert t.loc["worsens (paired 95% CI below 0)", "ours (quick, ignite's cells)"] == "1/2"
    assert t.loc["cells with < 2 paired seeds (no verdict)", "ours (ignite)"] == "1"  # GA's single seed
    power = t.loc["minimum detectable gain per cell (median paired n, power 0.8)"]
    assert "at n = 4;" in power["ours (quick)"] and "at n = 3;" in power["ours (ignite)"]
    assert list(ig.settings_headline_table({"quick": quick}).columns) == ["statistic", "ours (quick)", "IGNITE paper"]
    with pytest.raises(InvalidInputError, match="restrict_to='paper' is not one of the labels"):
        ig.settings_headline_table({"quick": quick, "ignite": paper}, restrict_to="paper")


def test_aggregate_table_probability_of_improvement_and_iqm():
    records = _cells({"GA": [0.05, 0.06, 0.05, 0.055], "REINFORCE": [-0.03, -0.031, -0.029, -0.03]})
    t = ig.aggregate_table(records_frame(records), ["GA", "REINFORCE"], [T8], reps=200).set_index("statistic")
    # rliable's P(X > Y) by its definition: per cell the share of (with run, plain run) pairs won, ties 1/2
    a_with = [0.5 + 0.01 * s + d for s, d in enumerate([0.05, 0.06, 0.05, 0.055])]
    c_with = [0.5 + 0.01 * s + d for s, d in enumerate([-0.03, -0.031, -0.029, -0.03])]
    plain = [0.5 + 0.01 * s for s in range(4)]
    p = lambda x, y: np.mean([(a > b) + 0.5 * (a == b) for a in x for b in y])  # noqa: E731
    assert t.loc["P(ignite > plain)", "value"] == pytest.approx(round((p(a_with, plain) + p(c_with, plain)) / 2, 4))
    assert t.loc["P(ignite > plain)", "cells"] == 2
    assert t.loc["IQM plain", "value"] == pytest.approx(round(float(np.mean(sorted(plain * 2)[2:6])), 4))
    assert t.loc["IQM ignite", "95% CI"].startswith("[")


def test_sharpness_is_rho_times_the_recorded_norm_and_missing_stays_missing():
    records = [rec("GA", 0, 0.5, grad_norm=10.0), rec("GA", 0, 0.6, IG, grad_norm=2.0),
               rec("REINFORCE", 0, 0.5, grad_norm=None), rec("REINFORCE", 0, 0.5, IG, grad_norm=1.0)]
    frame = records_frame(records)
    assert frame.sharpness[0] == pytest.approx(0.05 * 10.0)
    s = ig.sharpness_table(frame, ["GA", "REINFORCE"], [T8]).set_index("method")
    assert s.loc["GA", "reduction %"] == pytest.approx(80.0) and s.loc["GA", "verdict"] == "—"  # n = 1
    assert s.loc["REINFORCE", "n"] == 0 and s.loc["REINFORCE", "without"] == "—"


def test_sensitivity_pairs_seeds_and_keeps_the_other_parameter_at_its_default():
    records = [rec("GA", s, 0.5) for s in (0, 1)]
    records += [rec("GA", 0, 0.55, IG), rec("GA", 1, 0.6, IG)]  # default: epsilon 0.1, eta 1e-3
    records += [rec("GA", 0, 0.45, {"name": "ignite", "epsilon": 0.5})]
    records += [rec("GA", 0, 0.7, {"name": "ignite", "eta_lambda": 1e-2})]  # not on the epsilon curve
    frame = records_frame(records)
    eps = ig.sensitivity_frame(frame, "epsilon").set_index("epsilon")
    assert list(eps.index) == [0.1, 0.5]
    assert eps.loc[0.1, "gain_mean"] == pytest.approx(15.0) and eps.loc[0.1, "gain_std"] == pytest.approx(5.0)
    half = stats.mean_interval([0.05, 0.1])[1] - 0.075  # t-interval of the paired differences, in % of 0.5
    assert (eps.loc[0.1, "gain_low"], eps.loc[0.1, "gain_high"]) == pytest.approx((15 - 200 * half, 15 + 200 * half))
    assert eps.loc[0.5, "gain_mean"] == pytest.approx(-10.0) and eps.loc[0.5, "n"] == 1
    eta = ig.sensitivity_frame(frame, "eta_lambda").set_index("eta_lambda")
    assert list(eta.index) == pytest.approx([1e-3, 1e-2]) and eta.loc[1e-2, "gain_mean"] == pytest.approx(40.0)


def test_steps_frame_and_table():
    records = [rec("GA", s, 0.5, curve=[(0, 0.4 + s * 0.1), (10, 0.6)]) for s in (0, 1)]
    records += [rec("GA", 0, 0.5, {"name": "ignite2"}, curve=[(0, 0.4), (10, 0.7)])]
    records += [rec("GA", 0, 0.5, task="TFBind10-Exact-v0", curve=[(0, 0.9), (10, 0.1)])]  # kept apart
    steps = records_frame(records, kind="curve")
    assert len(steps) == 8
    table = ig.steps_table(steps)
    low, high, _ = stats.mean_interval([0.4, 0.5])
    assert table.loc[("TFBind8", "GA", "plain"), 0] == f"0.450 ± 0.050 [{low:.3f}, {high:.3f}]"
    assert table.loc[("TFBind8", "GA", "plain"), "n"] == 2
    assert table.loc[("TFBind8", "GA", "ignite2"), 10] == "0.700 ± 0.000 [—]"
    assert table.loc[("TFBind10", "GA", "plain"), 10] == "0.100 ± 0.000 [—]"
    gains = ig.steps_gain_table(steps, "ignite2").set_index(["task", "method", "step"])
    # seed 0 only is paired: plain 0.4 -> ignite2 0.4 at step 0 (+0%), 0.6 -> 0.7 at step 10
    assert gains.loc[("TFBind8", "GA", 10), "gain %"] == f"{(0.7 - 0.6) / 0.6 * 100:+.2f}%"
    assert gains.loc[("TFBind8", "GA", 10), "n"] == 1 and gains.loc[("TFBind8", "GA", 10), "verdict"] == "—"
    assert gains.loc[("TFBind10", "GA", 0), "n"] == 0  # no IGNITE-2 run on TF-Bind-10
    paired = ig.paired_steps(steps)  # seed 1 has no IGNITE-2 run; TF-Bind-10 has only plain (nothing to pair)
    assert sorted(paired[paired.task == T8].seed.unique()) == [0] and len(paired[paired.task == T8]) == 4
    ax = ig.plot_steps(steps, "GA", task="TFBind10-Exact-v0")
    assert [tuple(line.get_ydata()) for line in ax.lines] == [(0.9, 0.1)]


def test_load_records_without_compute_returns_only_existing(tmp_path):
    from mbo_lib.experiments import RECORD_VERSION, RecordStore, RunSpec
    from mbo_lib.methods import get_method

    store = RecordStore(tmp_path)
    present, absent = RunSpec(task=T8, method="GA", seed=0), RunSpec(task=T8, method="GA", seed=1)
    ga = get_method("GA")  # a record is served only while it matches its spec and the current configuration
    store.save(present, {**rec("GA", 0, 0.5), "spec": present.as_dict(), "key": present.key,
                         "record_version": RECORD_VERSION, "method_version": getattr(ga, "version", 1),
                         "regularizer": {},
                         "hyperparameters": ga.hyperparameters(present.profile)})
    out = ig.load_records([present, absent], compute_missing=False, store=store)
    assert len(out) == 1 and json.dumps(out[0]["result"])


def test_ignite_training_end_averages_members_and_skips_other_runs():
    r = rec("GA-Ensemble-Mean", 0, 0.9, IG)
    r["train"] = [[{"epoch": 1, "ignite_lambda_end": 9.0}, {"epoch": 2, "ignite_lambda_end": 0.1, "ignite_sharpness": 0.2}],
                  [{"epoch": 2, "ignite_lambda_end": 0.3, "ignite_sharpness": 0.4}]]
    plain = rec("GA-Ensemble-Mean", 0, 0.9)
    plain["train"] = [[{"epoch": 2}]]
    t = ig.ignite_training_end([r, plain])
    assert len(t) == 1 and t.loc[0, "n"] == 1 and t.loc[0, "task"] == "TFBind8"
    assert t.loc[0, "lambda_end"] == pytest.approx(0.2) and t.loc[0, "sharpness"] == pytest.approx(0.3)
    assert t.loc[0, "lambda_end 95% CI"] == "—"  # one run: no interval
    assert ig.ignite_training_end([plain]).empty


def test_identical_cells_needs_every_paired_seed_equal():
    records = [rec("MINs", s, 0.5 + s / 10) for s in (0, 1)] + [rec("MINs", s, 0.5 + s / 10, IG) for s in (0, 1)]
    records += [rec("GA", s, 0.5) for s in (0, 1)] + [rec("GA", 0, 0.5, IG), rec("GA", 1, 0.6, IG)]
    assert ig.identical_cells(records_frame(records)) == [("MINs", "TFBind8", 2)]
