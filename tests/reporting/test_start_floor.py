"""The data's top-128 start designs as a floor for the 100th percentile: ``top_k_start_scores``,
``dataset_best_table``'s start column and ``start_floor_table``, against the task's own labels and oracle."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mbo_lib.reporting as rep
from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments import load_task

T8, T10 = "TFBind8-Exact-v0", "TFBind10-Exact-v0"


def test_start_floor_table_counts_the_runs_at_the_start_score():
    start = rep.top_k_start_scores(T8)["oracle_p100"]
    # TF-Bind-8's oracle is its labels: returning the top-128 unchanged scores D(best)
    assert start == pytest.approx(float(load_task(T8).normalize_score(load_task(T8).y.max())))
    frame = pd.DataFrame({"task": T8, "method": "GA", "regularizer": ["", "", "", "ignite", "ignite"],
                          "norm_p100": [start, start + 5e-7, 0.5, 0.3, start + 0.01]})
    table = rep.start_floor_table(frame).set_index("regularizer")
    assert table.loc["", ["n", "= start", "<= start"]].tolist() == [3, 2, 2]
    assert table.loc["ignite", ["n", "= start", "<= start"]].tolist() == [2, 0, 1]
    assert (table["task"] == "TFBind8").all() and table.loc["", "start p100"] == round(start, 3)
    assert table.loc["", "mean p100"] == round((2 * start + 5e-7 + 0.5) / 3, 3)
    with pytest.raises(InvalidInputError, match=r"lacks column\(s\) \['regularizer'\]"):
        rep.start_floor_table(frame.drop(columns="regularizer"))


def test_dataset_best_table_shows_the_start_score_next_to_d_best():
    table = rep.dataset_best_table([T8, "AntMorphology-Exact-v0"], {"AntMorphology-Exact-v0": "no files"})
    t8, ant = table.iloc[0], table.iloc[1]
    assert t8["ours"] == t8["top-128 starts (oracle p100)"] == t8["ROOT"] == "0.439"
    assert ant["ours"] == "not run: no files" and ant["top-128 starts (oracle p100)"] == "—"


def test_tfbind10_starts_score_above_their_labels(tfbind10_data_dir):
    """TF-Bind-10's exact oracle keeps the last of a 10-mer's measurements, so the oracle disagrees with most
    labels of the offline data: the top-128 designs by label score above D(best) by the oracle."""
    task = load_task(T10)
    st = rep.top_k_start_scores(T10)
    assert st["dbest"] == pytest.approx(float(task.normalize_score(task.y.max()))) == pytest.approx(0.467, abs=5e-4)
    assert st["oracle_p100"] > st["dbest"] + 0.05 and st["above"] > 0 and st["above"] + st["below"] <= 128
    # more starts can only raise the floor; all 10,000 rows: the oracle's best over the data
    every = rep.top_k_start_scores(T10, k=task.x.shape[0])["oracle_p100"]
    assert every >= st["oracle_p100"]
    assert every == pytest.approx(float(task.normalize_score(task.predict(task.x).max())))
    assert rep.top_k_start_scores(T10, k=1)["oracle_p100"] <= st["oracle_p100"]
