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


def _tiny_tfbind10(root, nan_shard: int | None = None):
    """84 shards of 3 rows in the tf_bind_10-pho4 layout, with NaN in one y shard if asked."""
    import numpy as np

    folder = root / "tf_bind_10-pho4"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(84):
        np.save(folder / f"tf_bind_10-x-{i}.npy", rng.integers(0, 4, size=(3, 10)).astype(np.int32))
        y = rng.normal(size=(3, 1)).astype(np.float32)
        if i == nan_shard:
            y[:] = np.nan
        np.save(folder / f"tf_bind_10-y-{i}.npy", y)
    return folder


def test_a_damaged_shard_makes_only_that_task_not_run(tmp_path, monkeypatch):
    # NaN in a y shard used to build an empty task (n = 0, NaN bounds) that was reported runnable.
    folder = _tiny_tfbind10(tmp_path, nan_shard=17)
    monkeypatch.setenv("MBO_DATA_DIR", str(tmp_path))
    _cached_task.cache_clear()
    ok, not_run = split_available(["TFBind10-Exact-v0", "Ackley-Synthetic-v0"])
    _cached_task.cache_clear()
    assert ok == ["Ackley-Synthetic-v0"]
    reason = not_run["TFBind10-Exact-v0"]
    assert reason.startswith(f"InvalidInputError: {folder / 'tf_bind_10-y-17.npy'}: 3 of 3 rows of this y shard")


def test_a_healthy_tiny_tfbind10_is_runnable(tmp_path, monkeypatch):
    _tiny_tfbind10(tmp_path)
    monkeypatch.setenv("MBO_DATA_DIR", str(tmp_path))
    _cached_task.cache_clear()
    ok, not_run = split_available(["TFBind10-Exact-v0"])
    _cached_task.cache_clear()
    assert ok == ["TFBind10-Exact-v0"] and not_run == {}


def test_any_exception_while_probing_is_a_reason_not_a_crash(monkeypatch):
    import mbo_lib.experiments.runner as runner

    real = runner.load_task

    def flaky(task_id, task_kwargs=None):
        if task_id == "Levy-Synthetic-v0":
            raise RuntimeError("oracle exploded")
        return real(task_id, task_kwargs)

    monkeypatch.setattr(runner, "load_task", flaky)
    ok, not_run = split_available(["Levy-Synthetic-v0", "Shekel-Synthetic-v0"])
    assert ok == ["Shekel-Synthetic-v0"]
    assert not_run == {"Levy-Synthetic-v0": "RuntimeError: oracle exploded"}
