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
    est = tool.estimates(cells, {r10.name: [0.2, 0.4]})
    assert est[r10.name] == (pytest.approx(0.3), "")
    assert est[r8.name][0] == pytest.approx(0.3 * 32898 / 10000) and est[r8.name][1] == "from TF-Bind-10 x 3.29"
    ga10 = next(c for c in cells if c.method == "GA" and c.task == tool.TF10 and c.variants == [{}, tool.IGNITE])
    assert est[ga10.name] == (ga10.estimate(), "a priori")  # neither it nor its twin has a run
    # the twin must match regularizers too: GA IGNITE-2 is not GA plain/IGNITE's twin
    ga2 = next(c for c in cells if c.method == "GA" and c.variants == [tool.IGNITE2])
    assert tool._twin(ga2, cells) is None
    # scaling works both ways (TF-Bind-8 measured -> TF-Bind-10 estimated)
    back = tool.estimates(cells, {r8.name: [3.29]})
    assert back[r10.name][0] == pytest.approx(3.29 * 10000 / 32898) and "from TF-Bind-8" in back[r10.name][1]


def test_a_regularized_only_cell_is_estimated_from_its_siblings_regularized_runs(tool):
    cells = [c for c in tool.cells() if c.method == "GA" and c.settings == "ignite"]
    ga10 = next(c for c in cells if c.task == tool.TF10 and c.variants == [{}, tool.IGNITE])
    ga2 = next(c for c in cells if c.task == tool.TF10 and c.variants == [tool.IGNITE2])
    assert tool._sibling(ga2, cells) is ga10 and tool._sibling(ga10, cells) is None  # plain/IGNITE has plain runs
    # GA plain/IGNITE measured 7 and 20 min per run: IGNITE-2 costs what an IGNITE run does, not their mean
    est = tool.estimates(cells, {ga10.name: [7.0, 20.0, 7.0, 21.0]}, {ga10.name: [20.0, 21.0]})
    assert est[ga2.name] == (pytest.approx(20.5), f"from {ga10.name}'s regularized runs")
    assert est[ga10.name] == (pytest.approx(13.75), "")
    # without the regularized runs' minutes (or any run of the sibling) the a priori estimate stays
    assert tool.estimates(cells, {ga10.name: [7.0]})[ga2.name] == (ga2.estimate(), "a priori")
    # a measured twin on the other task still comes first for cells that have one
    ga8 = next(c for c in cells if c.task == tool.TF8 and c.variants == [{}, tool.IGNITE])
    assert "from TF-Bind-10" in tool.estimates(cells, {ga10.name: [10.0]}, {ga10.name: [20.0]})[ga8.name][1]
