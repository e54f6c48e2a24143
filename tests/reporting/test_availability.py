from mbo_lib.experiments.runner import _cached_task
from mbo_lib.reporting import split_available


def test_missing_files_are_reported_not_raised(tmp_path, monkeypatch):
    monkeypatch.setenv("MBO_DATA_DIR", str(tmp_path))
    _cached_task.cache_clear()
    ok, not_run = split_available(["TFBind8-Exact-v0", "AntMorphology-Exact-v0", "TFBind10-Exact-v0"])
    _cached_task.cache_clear()
    assert ok == ["TFBind8-Exact-v0"]
    assert set(not_run) == {"AntMorphology-Exact-v0", "TFBind10-Exact-v0"}
    assert all("MBO_DATA_DIR" in reason for reason in not_run.values())
