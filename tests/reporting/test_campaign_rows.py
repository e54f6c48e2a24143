"""Tests of mbo_lib.reporting.campaign and the settings tables of mbo_lib.reporting.ignite, on hand-made records
(n = 0, 1 and several per cell)."""
import numpy as np
import pytest

from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments import RecordStore
from mbo_lib.reporting import campaign as cp
from mbo_lib.reporting import ignite as ig

T8, T10 = "TFBind8-Exact-v0", "TFBind10-Exact-v0"
IG = {"name": "ignite"}


def rec(method, seed, p100, reg=None, task=T10, profile="paper", overrides=None, train=None):
    return {"spec": {"task": task, "method": method, "seed": seed, "profile": profile, "overrides": overrides or {},
                     "regularizer": reg or {}},
            "result": {"norm_p100": p100, "norm_p80": p100 - 0.1, "norm_p50": p100 - 0.2},
            "train": train or [], "timings": {"total_seconds": 1.0}}


def end_log(lam, sharp, epochs=100):
    return [[{"epoch": epochs - 1, "ignite_lambda_end": 0.0, "ignite_sharpness": 9.0},
             {"epoch": epochs, "ignite_lambda_end": lam, "ignite_sharpness": sharp}]]


def test_library_cells_equal_the_campaign_tools_cells(load_tool):
    tool = load_tool("campaign")
    theirs = [(c.method, c.task, c.settings, c.seeds, tuple((v or {}).get("name", "") for v in c.variants),
               tuple(sorted(c.extra_overrides.items()))) for c in tool.cells()]
    ours = [(c.method, c.task, c.settings, c.seeds, c.regularizers, c.extra_overrides) for c in cp.CAMPAIGN_CELLS]
    assert ours == theirs


def test_paper_specs_use_the_settings_overrides_and_match_the_campaigns_keys():
    specs = cp.paper_specs(["COMs", "GA"], [T10], [0, 1], "ignite", regularizers=["", "ignite"])
    assert len(specs) == 8 and all(s.profile == "paper" for s in specs)
    coms = [s for s in specs if s.method == "COMs"]
    assert all(s.overrides == {"epochs": 2} for s in coms)
    assert all(s.overrides == {} for s in specs if s.method == "GA")
    assert {s.regularizer.get("name", "") for s in coms} == {"", "ignite"}
    diag = cp.paper_specs(["GA"], [T10], [3], "diagnostic")[0]
    cell = cp.campaign_cell("GA", T10, "diagnostic")
    assert diag.overrides == cell.overrides() and diag.regularizer == {}
    alpha0 = cp.paper_specs(["MATCH-OPT"], [T10], [0], "baselines", extra_overrides={"alpha": 0.0})[0]
    assert alpha0.overrides == {"alpha": 0.0}
    with pytest.raises(InvalidInputError, match="unknown settings"):
        cp.paper_specs(["GA"], [T10], [0], "nonsense")


def test_load_paper_never_computes(tmp_path, capsys):
    store = RecordStore(tmp_path)
    found = cp.load_paper(cp.paper_specs(["GA"], [T10], [0, 1], "diagnostic"), store=store)
    assert found == [] and not any(tmp_path.iterdir())
    assert "2 of 2 runs have no record yet" in capsys.readouterr().out


def test_cell_note_says_campaign_gpu_or_not_in_campaign():
    assert cp.cell_note("GA", T10, "ignite", "ignite", n=0) == cp.NOT_YET_RUN
    assert cp.cell_note("GA", T10, "baselines", "", n=0) == cp.NOT_YET_RUN  # same overrides as ignite for GA
    assert cp.cell_note("GA", T10, "ignite", "", n=3) == ""
    assert cp.cell_note("COMs", T10, "ignite", "", n=0) == cp.NOT_YET_RUN
    assert cp.cell_note("COMs", T10, "baselines", "", n=0) == cp.COMS_FULL_NOTE  # 50 epochs: not in the campaign
    assert cp.cell_note("GA-Ensemble-Min", T8, "ignite", "ignite", n=0).startswith("GPU work: tools/gpu_campaign.py")
    assert "80 CPU-hours" in cp.cell_note("PGS", T8, "baselines", "", n=0)
    tf10_note = cp.cell_note("PGS", T10, "baselines", "", n=0)
    assert tf10_note.startswith("GPU work: tools/gpu_campaign.py runs TF-Bind-8 only")
    assert cp.cell_note("MATCH-OPT", T10, "baselines", "", 0, {"alpha": 0.0}) == cp.NOT_YET_RUN
    assert cp.cell_note("MATCH-OPT", T10, "baselines", "", 0, {"alpha": 0.5}) == cp.NOT_IN_CAMPAIGN
    assert cp.cell_note("GA", T8, "diagnostic", "", n=0) == cp.NOT_IN_CAMPAIGN  # the diagnostic is TF-Bind-10 only
    assert cp.cell_note("REINFORCE", T10, "diagnostic", "ignite", n=0).startswith("not applicable")  # GA's only


def test_settings_frame_labels_each_record():
    records = [rec("GA", 0, 0.5, profile="quick"), rec("COMs", 0, 0.6, overrides={"epochs": 2}),
               rec("GA", 0, 0.7, overrides={"hidden": [256, 256], "init": "torch"}), rec("COMs", 1, 0.6)]
    f = cp.settings_frame(records)
    assert f.settings.tolist() == ["quick", "ignite", "diagnostic", "baselines"]
    assert cp.settings_frame([]).empty and "settings" in cp.settings_frame([]).columns


def test_settings_differences_come_from_the_profiles():
    diffs = {k: (a, b) for k, a, b in cp.settings_differences("GA", "ignite")}
    assert diffs["hidden"] == ([256, 256], [2048, 2048]) and diffs["init"] == ("torch", "keras")
    assert diffs["epochs"] == (20, 100)
    diag = {k for k, _, _ in cp.settings_differences("GA", "diagnostic")}
    assert "epochs" in diag and "hidden" not in diag and "init" not in diag
    text = cp.describe_settings(["GA"], ["ignite"])
    assert "Keras' Dense default" in text and cp.PARITY_INIT in text


def test_settings_score_table_n_zero_one_several():
    quick = cp.settings_frame([rec("GA", s, 0.5 + 0.1 * s, profile="quick") for s in range(3)])
    paper = cp.settings_frame([rec("GA", 0, 0.9)])
    t = cp.settings_score_table({"quick": quick, "baselines": paper}, ["GA", "COMs", "PGS"], [T10, T8],
                                not_run={T8: "no data"})
    row = lambda s, m, task: t[(t.settings == s) & (t.method == m) & (t.task == task)].iloc[0]  # noqa: E731
    assert row("quick", "GA", "TFBind10").n == 3 and row("quick", "GA", "TFBind10").ours == "0.600 ± 0.082"
    assert row("baselines", "GA", "TFBind10").n == 1 and row("baselines", "GA", "TFBind10")["95% CI"] == "—"
    assert row("quick", "COMs", "TFBind10").ours == "—"
    assert row("baselines", "COMs", "TFBind10").ours == cp.COMS_FULL_NOTE
    assert row("baselines", "PGS", "TFBind10").ours.startswith("GPU work")
    assert row("baselines", "GA", "TFBind8").ours == "not run: no data"
    text = cp.describe_presence(t)
    assert "- quick: 1 cell of 6 with records (3 runs)." in text
    assert "- baselines: 1 cell of 6 with records (1 run)." in text
    empty = cp.settings_score_table({"ignite": cp.settings_frame([])}, ["GA"], [T10])
    assert empty.ours.tolist() == [cp.NOT_YET_RUN]
    assert "no cell of 1 with records (no run)" in cp.describe_presence(empty)


def test_seeds_phrase_reads_at_any_n():
    assert [cp.seeds_phrase(n, paired=True) for n in (0, 1, 2)] == ["no paired seed", "1 paired seed", "2 paired seeds"]


def _gain_records():
    quick = [rec("GA", s, 0.5, profile="quick") for s in range(3)]
    quick += [rec("GA", s, 0.55 + 0.01 * s, IG, profile="quick", train=end_log(0.0011, 0.5, 20)) for s in range(3)]
    diag_ov = {"hidden": [256, 256], "init": "torch"}
    diag = [rec("GA", 0, 0.6, overrides=diag_ov), rec("GA", 0, 0.66, IG, overrides=diag_ov, train=end_log(0.002, 0.3))]
    return quick, diag


def test_settings_gain_table_and_sentences_at_n_zero_one_several():
    quick, diag = _gain_records()
    paper = [rec("GA", 0, 0.7)]  # plain only: unpaired
    frames = {"quick": cp.settings_frame(quick), "diagnostic": cp.settings_frame(diag),
              "ignite": cp.settings_frame(paper)}
    t = ig.settings_gain_table(frames, ["GA"], [T10])
    assert t.settings.tolist() == ["quick", "diagnostic", "ignite"] and t.n.tolist() == [3, 1, 0]
    assert t.iloc[1]["gain %"] == "+10.00%" and t.iloc[1]["gain 95% CI"] == "—"
    assert t.iloc[2].without == f"unpaired (1 plain, 0 ignite); {cp.NOT_YET_RUN}"
    none = ig.settings_gain_table({"ignite": cp.settings_frame([])}, ["GA"], [T10])
    assert none.iloc[0].without == cp.NOT_YET_RUN
    ends = ig.training_end_by_settings({"quick": quick, "diagnostic": diag, "ignite": paper})
    assert ends.settings.tolist() == ["quick", "diagnostic"]  # the paper runs have no IGNITE log
    q = ends.iloc[0]
    assert (q.n, q.epochs, q.epsilon) == (3, 20, 0.1) and q.lambda_end == pytest.approx(0.0011)
    assert q["sharpness / epsilon"] == pytest.approx(5.0)
    text = ig.describe_settings_effect(t, ends)
    assert text.startswith("- GA / TFBind10: quick: gain ")
    assert "3 paired seeds" in text and "5x epsilon 0.1 (above the threshold; 3 runs)" in text
    assert "diagnostic: gain +10.00% on 1 paired seed (no interval, no verdict)" in text
    assert "3x epsilon 0.1 (above the threshold; 1 run)" in text
    assert f"ignite: no paired seed (unpaired (1 plain, 0 ignite); {cp.NOT_YET_RUN}); no IGNITE training log" in text
    q_gain = t.iloc[0]["gain %"]
    assert text.endswith(f" Across settings: gain {q_gain} (quick) → +10.00% (diagnostic); last-epoch lambda 0.0011 "
                         "(quick) → 0.002 (diagnostic); sharpness / epsilon 5 (quick) → 3 (diagnostic).")
    assert ig.training_end_by_settings({"ignite": paper}).empty


def test_settings_gain_wide_and_empty_cells_line():
    quick, diag = _gain_records()
    frames = {"quick": cp.settings_frame(quick), "diagnostic": cp.settings_frame(diag),
              "ignite": cp.settings_frame([])}
    t = ig.settings_gain_table(frames, ["GA", "COMs"], [T10])
    wide = ig.settings_gain_wide(t)
    assert list(wide.columns) == ["quick", "diagnostic", "ignite"]
    assert wide.loc[("GA", "TFBind10"), "diagnostic"] == "+10.00% (n=1, no interval)"
    assert wide.loc[("GA", "TFBind10"), "quick"].endswith("(n=3)")
    assert wide.loc[("COMs", "TFBind10"), "ignite"] == cp.NOT_YET_RUN
    text = ig.describe_settings_effect(t, ig.training_end_by_settings({"quick": quick, "diagnostic": diag}))
    assert text.splitlines()[-1] == ("- No paired seed and no IGNITE training log at any settings (quick, diagnostic, "
                                     "ignite): COMs / TFBind10.")
    assert "- GA / TFBind10: quick" in text


def test_presence_table_counts_only_its_settings():
    records = [rec("GA", 0, 0.5), rec("GA", 2, 0.5), rec("GA", 1, 0.5, IG),
               rec("GA", 0, 0.5, overrides={"hidden": [256, 256], "init": "torch"})]  # diagnostic: not counted
    t = cp.presence_table(records, ["GA", "PGS"], [T10], "ignite", ["", "ignite"])
    ga_plain, ga_ig = t.iloc[0], t.iloc[1]
    assert (ga_plain.n, ga_plain.seeds, ga_plain.status) == (2, [0, 2], "2 runs")
    assert (ga_ig.n, ga_ig.status, ga_ig.regularizer) == (1, "1 run", "ignite")
    assert t.iloc[2].status.startswith("GPU work") and t.iloc[2].n == 0
    assert cp.presence_table([], ["GA"], [T10], "diagnostic").status.tolist() == [cp.NOT_YET_RUN]


def test_settings_sharpness_table_pairs_within_a_label():
    q = [dict(rec("GA", s, 0.5, profile="quick"), surrogate_grad_norm_on_candidates=10.0) for s in range(2)]
    q += [dict(rec("GA", s, 0.5, IG, profile="quick"), surrogate_grad_norm_on_candidates=5.0) for s in range(2)]
    p = [dict(rec("GA", 0, 0.5), surrogate_grad_norm_on_candidates=4.0)]  # paper plain only
    t = ig.settings_sharpness_table({"quick": cp.settings_frame(q), "ignite": cp.settings_frame(p)}, ["GA"], [T10])
    assert t.settings.tolist() == ["quick", "ignite"] and t.n.tolist() == [2, 0]
    assert t.iloc[0]["reduction %"] == 50.0 and t.iloc[0].without == "0.5000 ± 0.0000"
    assert t.iloc[1].without == cp.NOT_YET_RUN


def test_settings_score_wide_one_cell_per_label():
    quick = cp.settings_frame([rec("GA", s, 0.5 + 0.1 * s, profile="quick") for s in range(3)])
    paper = cp.settings_frame([rec("GA", 0, 0.9)])
    wide = cp.settings_score_wide(cp.settings_score_table({"quick": quick, "baselines": paper}, ["GA", "COMs"], [T10]))
    assert list(wide.columns) == ["quick", "baselines"]
    assert wide.loc[("GA", "TFBind10"), "baselines"] == "0.900 ± 0.000 (n=1)"
    ga = wide.loc[("GA", "TFBind10"), "quick"]
    assert ga.startswith("0.600 ± 0.082 [") and ga.endswith("(n=3)")
    assert wide.loc[("COMs", "TFBind10"), "baselines"] == cp.COMS_FULL_NOTE
    assert wide.loc[("COMs", "TFBind10"), "quick"] == "—"


def test_mins_gpu_note_reads_the_measured_cost_or_says_none_was_measured(tmp_path):
    cost = tmp_path / "mins_paper_cost.json"
    cost.write_text('{"task": "TFBind8-Exact-v0", "plain_cpu_hours": 7.25, "ignite_cpu_hours": 7.61}')
    note = cp.mins_gpu_note(cost)
    assert note.startswith("GPU work:") and "~7.2 CPU-hours per run on TFBind8, ~7.6 with IGNITE" in note
    assert "benchmarks/results/mins_paper_cost.md" in note
    assert "no CPU cost measured" in cp.mins_gpu_note(tmp_path / "absent.json")
    cost.write_text('{"task": "TFBind8-Exact-v0"}')  # a file without the numbers is not a measurement
    assert "no CPU cost measured" in cp.mins_gpu_note(cost)
    # the notebooks' empty MINs cells carry the checkout's note (the measured one once the benchmark has run)
    assert cp.cell_note("MINs", T8, "ignite", "ignite", n=0) == cp.GPU_NOTES["MINs"] == cp.mins_gpu_note()
