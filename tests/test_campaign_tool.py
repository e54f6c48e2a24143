"""tools/campaign.py: cell selection (--only / --exclude) and the cost estimate of cells without runs."""
from __future__ import annotations

import pytest


@pytest.fixture
def tool(load_tool):
    return load_tool("campaign")


def test_only_and_exclude_select_cells_by_name(tool):
    cells = tool.cells()
    names = [c.name for c in tool.select(cells, "*(ignite settings)", ["CbAS*", "GA *"])]
    assert "COMs TF-Bind-10 (ignite settings)" in names and "REINFORCE TF-Bind-8 (ignite settings)" in names
    assert not any(n.startswith(("CbAS", "GA ")) for n in names)
    assert not any("MATCH-OPT" in n or n.startswith("diag") for n in names)  # not IGNITE settings
    assert [c.name for c in tool.select(cells, "MATCH-OPT")] == [c.name for c in cells if "MATCH-OPT" in c.name]
    assert tool.select(cells, "*", ["*"]) == [] and len(tool.select(cells)) == len(cells)


def test_estimates_measured_then_twin_scaled_by_rows_then_a_priori(tool):
    cells = [c for c in tool.cells() if c.method in ("REINFORCE", "GA") and c.settings == "ignite"]
    r10, r8 = (next(c for c in cells if c.method == "REINFORCE" and c.task == t) for t in (tool.TF10, tool.TF8))
    est = tool.estimates(cells, {(r10.name, ""): [0.2, 0.4], (r10.name, "ignite"): [1.0]})
    assert est[r10.name, ""] == (pytest.approx(0.3), "") and est[r10.name, "ignite"] == (1.0, "")
    assert est[r8.name, ""][0] == pytest.approx(0.3 * 32898 / 10000) and est[r8.name, ""][1] == "from TF-Bind-10 x 3.29"
    assert est[r8.name, "ignite"][0] == pytest.approx(1.0 * 32898 / 10000)
    ga10 = next(c for c in cells if c.method == "GA" and c.task == tool.TF10 and c.variants == [{}, tool.IGNITE])
    # neither it nor its twin has a run: a priori, a regularized run 3x a plain one
    assert est[ga10.name, ""] == (ga10.estimate({}), "a priori") and est[ga10.name, "ignite"][1] == "a priori"
    assert est[ga10.name, "ignite"][0] == pytest.approx(3 * est[ga10.name, ""][0])
    # the twin must match regularizers too: GA IGNITE-2 is not GA plain/IGNITE's twin
    ga2 = next(c for c in cells if c.method == "GA" and c.variants == [tool.IGNITE2])
    assert tool._twin(ga2, cells) is None
    # scaling works both ways (TF-Bind-8 measured -> TF-Bind-10 estimated)
    back = tool.estimates(cells, {(r8.name, ""): [3.29]})
    assert back[r10.name, ""][0] == pytest.approx(3.29 * 10000 / 32898) and "from TF-Bind-8" in back[r10.name, ""][1]


def test_each_kind_of_run_is_priced_from_its_own_kind(tool):
    """GA TF-Bind-8 with one plain run (29 min) and none with IGNITE: its IGNITE runs are priced from TF-Bind-10's
    IGNITE runs, not from the plain run (which would price them at a third of their cost), scaled by the plain
    runs' measured ratio between the tasks (29 / 8), not the rows' 3.29."""
    cells = [c for c in tool.cells() if c.method == "GA" and c.settings == "ignite"]
    ga10 = next(c for c in cells if c.task == tool.TF10 and c.variants == [{}, tool.IGNITE])
    ga8 = next(c for c in cells if c.task == tool.TF8 and c.variants == [{}, tool.IGNITE])
    est = tool.estimates(cells, {(ga8.name, ""): [29.0], (ga10.name, ""): [7.0, 9.0], (ga10.name, "ignite"): [20.0]})
    assert est[ga8.name, ""] == (29.0, "")
    assert est[ga8.name, "ignite"] == (pytest.approx(20.0 * 29.0 / 8.0), "from TF-Bind-10 x 3.62 (plain runs' ratio)")
    # without a kind measured in both cells the rows' ratio scales
    rows = tool.estimates(cells, {(ga10.name, ""): [8.0], (ga10.name, "ignite"): [20.0]})
    assert rows[ga8.name, "ignite"] == (pytest.approx(20.0 * 3.2898), "from TF-Bind-10 x 3.29")


def test_a_regularized_kind_without_twin_is_estimated_from_its_siblings_regularized_runs(tool):
    cells = [c for c in tool.cells() if c.method == "GA" and c.settings == "ignite"]
    ga10 = next(c for c in cells if c.task == tool.TF10 and c.variants == [{}, tool.IGNITE])
    ga2 = next(c for c in cells if c.task == tool.TF10 and c.variants == [tool.IGNITE2])
    assert ga10 in tool._siblings(ga2, cells) and ga2 in tool._siblings(ga10, cells)
    # GA plain/IGNITE measured 7 and 20 min per run: IGNITE-2 costs what an IGNITE run does, not their mean
    est = tool.estimates(cells, {(ga10.name, ""): [7.0, 7.0], (ga10.name, "ignite"): [20.0, 21.0]})
    assert est[ga2.name, "ignite2"] == (pytest.approx(20.5), f"from {ga10.name}'s ignite runs")
    assert est[ga10.name, ""] == (7.0, "") and est[ga10.name, "ignite"] == (pytest.approx(20.5), "")
    # a plain run never prices a regularized kind: only plain minutes measured -> a priori
    assert tool.estimates(cells, {(ga10.name, ""): [7.0]})[ga2.name, "ignite2"] == (ga2.estimate(tool.IGNITE2), "a priori")
    # a measured twin on the other task still comes first for cells that have one
    ga8 = next(c for c in cells if c.task == tool.TF8 and c.variants == [{}, tool.IGNITE])
    ga8_est = tool.estimates(cells, {(ga10.name, "ignite"): [20.0], (ga10.name, ""): [7.0]})
    assert ga8_est[ga8.name, "ignite"][1] == "from TF-Bind-10 x 3.29"


def test_progress_table_sums_what_is_left_per_kind(tool):
    """One GA TF-Bind-8 plain run done (30 CPU minutes), TF-Bind-10 measured (plain 8, IGNITE 20): left = IGNITE
    seed 0 + plain and IGNITE seed 1, each priced by its kind."""
    cells = [c for c in tool.cells() if c.method == "GA" and c.settings == "ignite" and c.variants == [{}, tool.IGNITE]]
    ga10, ga8 = (next(c for c in cells if c.task == t) for t in (tool.TF10, tool.TF8))
    minutes = {s.key: 8.0 for seed in range(ga10.seeds) for s in ga10.specs(seed)[:1]}
    minutes |= {s.key: 20.0 for seed in range(ga10.seeds) for s in ga10.specs(seed)[1:]}
    minutes[ga8.specs(0)[0].key] = 30.0

    class Store:
        def has(self, spec):
            return spec.key in minutes

        def load(self, spec):
            return {"timings": {"cpu_seconds": 60 * minutes[spec.key]}}

    text = tool.progress_table(cells, Store())
    row = next(line for line in text.splitlines() if line.startswith(f"| {ga8.name} "))
    left = (20.0 * 30.0 / 8.0 + 30.0 + 20.0 * 30.0 / 8.0) / 60  # IGNITE: TF-Bind-10's x the plain runs' ratio
    assert row.split(" | ")[-1] == f"{left:.2f} |" and row.split(" | ")[-2] == f"{30.0 / 60:.2f}"
    assert "30.0 / (est. 75.0, from TF-Bind-10 x 3.75 (plain runs' ratio))" in row and "| 0 / 2 | 2 |" in row
    row10 = next(line for line in text.splitlines() if line.startswith(f"| {ga10.name} "))
    assert "| 8.0 / 20.0 |" in row10 and row10.endswith("| 0.00 |")
    assert f"**{(30.0 + ga10.seeds * 28.0) / 60:.2f}** | **{left:.2f}** |" in text
