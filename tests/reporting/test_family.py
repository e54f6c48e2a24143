"""Tests of mbo_lib.reporting.family on constructed records: a clear family-wide gain, a clear loss, noise."""
import numpy as np
import pandas as pd
import pytest

from mbo_lib.errors import InvalidInputError
from mbo_lib.reporting import family as fam
from mbo_lib.tasks import tfbind8_factors

T8 = "TFBind8-Exact-v0"
IG = {"name": "ignite"}
FACTORS = fam.family_sample(8, seed=3)
SEEDS = [0, 1, 2, 3]


def rec(method, factor, seed, p100, reg=None, cpu=None):
    kwargs = {} if factor == "SIX6_REF_R1" else {"transcription_factor": factor}
    return {"spec": {"task": T8, "method": method, "seed": seed, "profile": "quick", "task_kwargs": kwargs,
                     "regularizer": reg or {}},
            "result": {"norm_p100": p100, "norm_p80": p100 - 0.1, "norm_p50": p100 - 0.2},
            "timings": {"total_seconds": 1.0, **({"cpu_seconds": cpu} if cpu is not None else {})}}


def plain_score(j, s):
    """A factor-dependent baseline with a little per-seed spread."""
    return 0.5 + 0.03 * j + 0.01 * ((s * 7 + j) % 4)


def family_records(ignite_effect, matchopt_effect, methods=("GA", "COMs")):
    """Records of every arm on FACTORS x SEEDS: IGNITE = plain * (1 + ignite_effect(j, s)); MATCH-OPT = GA +
    matchopt_effect(j, s)."""
    out = []
    for j, f in enumerate(FACTORS):
        for s in SEEDS:
            for m in methods:
                base = plain_score(j, s) + (0.02 if m == "COMs" else 0.0)
                out += [rec(m, f, s, base), rec(m, f, s, base * (1 + ignite_effect(j, s)), IG)]
            out.append(rec("MATCH-OPT", f, s, plain_score(j, s) + matchopt_effect(j, s)))
    return out


def noise(j, s):
    """No family-wide effect: per factor a mean effect of alternating sign and growing size, plus seed noise."""
    return (0.01 + 0.002 * j) * (-1) ** j + 0.004 * (-1) ** s


# ------------------------------------------------------------------------------------------------ sample and grid


def test_family_sample_is_fixed_sorted_distinct_and_excludes_the_default():
    a = fam.family_sample(24, seed=0)
    assert a == fam.family_sample(24, seed=0) and a == sorted(a) and len(set(a)) == 24
    assert "SIX6_REF_R1" not in a and set(a) <= set(tfbind8_factors())
    assert fam.family_sample(24, seed=1) != a
    assert len(fam.family_sample(199)) == 199 and "SIX6_REF_R1" not in fam.family_sample(199)
    assert "SIX6_REF_R1" in fam.family_sample(200, include_default=True)
    for bad in (0, 200, 2.0, True):
        with pytest.raises(InvalidInputError, match="k must be an int"):
            fam.family_sample(bad)


def test_family_specs_are_seed_major_and_carry_the_factor():
    factors = fam.family_sample(24)
    specs = fam.family_specs(factors, [0, 1, 2, 3])
    assert len(specs) == 480 and len({s.key for s in specs}) == 480
    first = specs[:5]
    assert {s.seed for s in first} == {0} and {s.task_kwargs["transcription_factor"] for s in first} == {factors[0]}
    assert [(s.method, bool(s.regularizer)) for s in first] == [("GA", False), ("GA", True), ("COMs", False),
                                                                 ("COMs", True), ("MATCH-OPT", False)]
    assert [s.seed for s in specs[::120]] == [0, 1, 2, 3]  # seed-major: seed k starts after every factor's seed k-1
    small = fam.family_specs(factors[:1], [0], "smoke", task_kwargs={"max_samples": 500})
    assert small[0].task_kwargs == {"max_samples": 500, "transcription_factor": factors[0]}


def test_stored_records_asks_the_store_for_the_family_grid_only():
    class Store:
        def records(self, specs):
            self.asked = list(specs)
            return ["r"]

    store = Store()
    assert fam.stored_records(store, FACTORS[:2], [0, 1]) == ["r"]
    assert store.asked == fam.family_specs(FACTORS[:2], [0, 1], "quick")
    fam.stored_records(store)
    assert len(store.asked) == 480


def test_family_frame_names_factor_and_arm():
    frame = fam.family_frame([rec("GA", FACTORS[0], 0, 0.5), rec("GA", "SIX6_REF_R1", 0, 0.4, IG),
                              rec("MATCH-OPT", FACTORS[1], 1, 0.6)])
    assert list(frame.factor) == [FACTORS[0], "SIX6_REF_R1", FACTORS[1]]
    assert list(frame.arm) == ["GA", "GA+IGNITE", "MATCH-OPT"]
    assert fam.family_frame([]).empty


# ------------------------------------------------------------------------------------------------ per factor


def test_factor_gains_pair_seeds_and_use_the_papers_formula():
    f = FACTORS[0]
    records = [rec("GA", f, 0, 0.8), rec("GA", f, 1, 0.6), rec("GA", f, 2, 0.1),  # seed 2: no IGNITE run
               rec("GA", f, 0, 0.9, IG), rec("GA", f, 1, 0.7, IG)]
    g = fam.factor_gains(fam.family_frame(records), "GA", FACTORS[:2])
    one, missing = g.iloc[0], g.iloc[1]
    assert one.n == 2 and one.gain == pytest.approx((0.8 - 0.7) / 0.7 * 100) and one.verdict == "improves"
    assert missing.n == 0 and np.isnan(missing.gain) and missing.verdict == "—"
    table = fam.gain_table(g)
    assert table.loc[f, "gain %"] == "+14.29%" and table.loc[f, "plain"] == "0.700 ± 0.100"
    assert list(table.loc[FACTORS[1], ["plain", "with IGNITE", "gain %", "gain 95% CI", "verdict"]]) == ["—"] * 5
    gm = fam.gain_matrix(fam.family_frame(records), "GA", FACTORS[:2], [0, 1, 2])
    assert gm[:2, 0] == pytest.approx([0.1 / 0.7 * 100] * 2) and np.isnan(gm[2, 0]) and np.isnan(gm[:, 1]).all()


def test_factor_means_and_win_rate():
    f = FACTORS[0]
    records = [rec("MATCH-OPT", f, 0, 0.9), rec("MATCH-OPT", f, 1, 0.5), rec("GA", f, 0, 0.7), rec("GA", f, 1, 0.5)]
    m = fam.factor_means(fam.family_frame(records), FACTORS[:2])
    assert m.loc[0, "MATCH-OPT_mean"] == pytest.approx(0.7) and m.loc[0, "GA_n"] == 2
    assert m.loc[0, "p_improve"] == pytest.approx((1 + 1 + 0.5 + 0) / 4)  # 0.9 beats both, 0.5 ties 0.5
    table = fam.means_table(m)
    assert table.loc[FACTORS[1], "MATCH-OPT"] == "—" and table.loc[FACTORS[1], "P(MATCH-OPT > GA)"] == "—"
    assert table.loc[f, "difference"] == "+0.100" and table.loc[f, "GA"] == "0.600 [-0.671, 1.871] (n=2)"
    one = fam.means_table(fam.factor_means(fam.family_frame(records[:1] + records[2:3]), FACTORS[:1]))
    assert one.loc[f, "MATCH-OPT"] == "0.900 [—] (n=1)"  # one run: no interval


# ------------------------------------------------------------------------------------------------ across factors


def test_a_clear_family_wide_gain_holds():
    records = family_records(lambda j, s: 0.04 + 0.002 * s, lambda j, s: 0.05 + 0.001 * j)
    summary = fam.family_summary(records, FACTORS, SEEDS, reps=300)
    assert list(summary.claim) == ["I1", "I1", "M1"]
    assert list(summary.verdict) == ["holds"] * 3
    ga = summary.iloc[0]
    assert ga.n_factors == 8 and ga.n_seeds == 4 and ga.n == "8 factors x 4 seeds"
    assert 4.0 < ga.point < 4.6 and ga.low > 0 and ga.wilcoxon_p < 0.05
    assert summary.iloc[2].point == pytest.approx(1.0)  # MATCH-OPT beats GA on every pair of runs
    assert list(summary.columns[:13]) == ["claim", "statement", "notebook", "tasks", "settings", "n", "statistic",
                                          "interval", "published", "source", "verdict", "decide_n", "reason"]


def test_a_clear_family_wide_loss_does_not_hold():
    records = family_records(lambda j, s: -0.04 - 0.002 * s, lambda j, s: -0.05 - 0.001 * j)
    summary = fam.family_summary(records, FACTORS, SEEDS, reps=300)
    assert list(summary.verdict) == ["does not hold"] * 3
    assert summary.iloc[1].high < 0 and summary.iloc[2].high < 0.5


def test_noise_is_inconclusive():
    records = family_records(noise, lambda j, s: noise(j, s) * 3)
    summary = fam.family_summary(records, FACTORS, SEEDS, reps=300)
    assert list(summary.verdict) == ["inconclusive at n = 4"] * 3
    ga = fam.ignite_aggregate(fam.family_frame(records), "GA", FACTORS, SEEDS, reps=300)
    assert ga["sign_test"]["n_positive"] == ga["sign_test"]["n_negative"] == 4 and ga["wilcoxon"]["pvalue"] > 0.05
    assert ga["iqm_low"] < 0 < ga["iqm_high"]


def test_without_records_the_rows_say_not_run():
    summary = fam.family_summary([], FACTORS, SEEDS, reps=50)
    assert list(summary.verdict) == ["inconclusive at n = 0"] * 3
    assert all(r.startswith("not run") for r in summary.reason) and list(summary.interval) == ["—"] * 3
    # one seed per factor is not enough for the across-factor tests either
    one_seed = [r for r in family_records(lambda j, s: 0.1, lambda j, s: 0.1) if r["spec"]["seed"] == 0]
    assert list(fam.family_summary(one_seed, FACTORS, SEEDS, reps=50).n_factors) == [0, 0, 0]


def test_iqm_of_gains_and_probability_of_improvement_are_those_of_the_stats_module():
    from mbo_lib import stats

    records = family_records(lambda j, s: 0.01 * (j + 1) * (1 if s % 2 else 0.5), lambda j, s: 0.0)
    frame = fam.family_frame(records)
    a = fam.ignite_aggregate(frame, "COMs", FACTORS, SEEDS, reps=50)
    gm = fam.gain_matrix(frame, "COMs", FACTORS, SEEDS)
    assert a["iqm_gain"] == pytest.approx(stats.iqm(gm))
    assert np.nanmean(gm, axis=0) == pytest.approx(a["gains"].gain.to_numpy(float))
    by_hand = []  # P(with > plain) per factor over all (IGNITE run, plain run) pairs, unpaired as rliable's
    for f in FACTORS:
        x = frame[(frame.arm == "COMs+IGNITE") & (frame.factor == f)].norm_p100.to_numpy()
        y = frame[(frame.arm == "COMs") & (frame.factor == f)].norm_p100.to_numpy()
        by_hand.append(np.mean([(xi > yi) + 0.5 * (xi == yi) for xi in x for yi in y]))
    assert a["p_improve"] == pytest.approx(np.mean(by_hand)) and 0.5 < a["p_improve"] < 1.0
    table = fam.aggregate_table([a, fam.matchopt_aggregate(frame, FACTORS, SEEDS, reps=50)])
    assert list(table.index) == ["COMs+IGNITE vs COMs", "MATCH-OPT vs GA"]
    assert table.loc["MATCH-OPT vs GA", "P(improvement)"] == "0.500"  # identical scores: every pair ties


def test_reference_factor_is_placed_among_the_family():
    # family: IGNITE gain on factor j = 1% * (j + 1) for GA (8 factors: 1..8%); MATCH-OPT = GA + 0.01 * (j - 3)
    records = family_records(lambda j, s: 0.01 * (j + 1), lambda j, s: 0.01 * (j - 3))
    # the reference factor: GA gain 4.5% (above 4 of the 8 factors), COMs gain 20% (above all), MATCH-OPT - GA = 0
    for s in SEEDS:
        records += [rec("GA", "SIX6_REF_R1", s, 0.6), rec("GA", "SIX6_REF_R1", s, 0.6 * 1.045, IG),
                    rec("COMs", "SIX6_REF_R1", s, 0.5), rec("COMs", "SIX6_REF_R1", s, 0.6, IG),
                    rec("MATCH-OPT", "SIX6_REF_R1", s, 0.6)]
    out = fam.reference_comparison(fam.family_frame(records), FACTORS, seeds=SEEDS, reps=50).set_index("comparison")
    assert list(out.index) == ["GA+IGNITE vs GA", "COMs+IGNITE vs COMs", "MATCH-OPT vs GA"]
    assert out.loc["GA+IGNITE vs GA", "ref_point"] == pytest.approx(4.5)
    assert out.loc["GA+IGNITE vs GA", "factors below reference"] == "4 of 8"
    assert out.loc["COMs+IGNITE vs COMs", "ref_point"] == pytest.approx(20.0)
    assert out.loc["COMs+IGNITE vs COMs", "below"] == 8 and out.loc["GA+IGNITE vs GA", "reference n"] == 4
    assert out.loc["GA+IGNITE vs GA", "family median"] == "+4.50%"  # median of 1..8 %
    # MATCH-OPT - GA on the family: 0.01 * (j - 3) = -0.03 .. +0.04; 0 ties with factor 3 (counted half)
    assert out.loc["MATCH-OPT vs GA", "below"] == pytest.approx(3.5)
    assert out.loc["MATCH-OPT vs GA", "reference"].startswith("P = 0.500")
    # no reference runs: "—", no rank
    bare = fam.reference_comparison(fam.family_frame(family_records(noise, noise)), FACTORS, seeds=SEEDS, reps=50)
    assert list(bare["factors below reference"]) == ["—"] * 3 and list(bare["reference n"]) == [0, 0, 0]


def test_forest_plot_has_a_panel_per_comparison():
    import matplotlib

    matplotlib.use("Agg")
    frame = fam.family_frame(family_records(noise, noise))
    fig = fam.plot_forest({m: fam.factor_gains(frame, m, FACTORS) for m in ("GA", "COMs")},
                          fam.factor_means(frame, FACTORS))
    assert len(fig.axes) == 3 and sorted(t.get_text() for t in fig.axes[0].get_yticklabels()) == sorted(FACTORS)


# ------------------------------------------------------------------------------------------------ progress


class FakeStore:
    def __init__(self, cpu_by_key, wall=None):
        self.cpu_by_key, self.wall = cpu_by_key, wall

    def load(self, spec):
        cpu = self.cpu_by_key.get(spec.key)
        wall = {} if self.wall is None else {"total_seconds": self.wall}
        return None if cpu is None else {"timings": {"cpu_seconds": cpu, **wall}}


def test_progress_table_counts_runs_and_estimates_the_grid_from_measured_minutes():
    factors = fam.family_sample(24)
    first = fam.family_specs(factors[:1], [0])  # the five arms on the first factor, seed 0
    store = FakeStore({s.key: 60.0 * (i + 1) for i, s in enumerate(first)})  # 1, 2, 3, 4, 5 minutes
    text = fam.progress_table(store, factors, SEEDS)
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| ")}
    assert "| 1 / 96 | 95 | 2.00 | — | 0.03 | 3.17 |" in rows["GA+IGNITE"]
    assert "| 5 / 480 |" in rows["**total**"]
    total = sum(96 * m / 60 for m in (1, 2, 3, 4, 5))
    assert f"**{total:.1f} core-hours**" in text and "24 factors" in text and "480 quick runs" in text
    assert "wall-hours" not in text  # no wall times stored: no wall-clock estimate
    walled = fam.progress_table(FakeStore({first[0].key: 60.0}, wall=180.0), factors, SEEDS)
    assert "| 1 / 96 | 95 | 1.00 | 3.00 |" in walled and "wall / CPU ratio of the measured runs (3.0" in walled
    empty = fam.progress_table(FakeStore({}), factors, SEEDS)
    assert f"(est. {fam.ESTIMATE_MIN['GA']:.1f})" in empty and "0 runs done" in empty
