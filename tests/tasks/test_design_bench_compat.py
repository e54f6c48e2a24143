"""Tests of ``mbo_lib/tasks/design_bench_compat.py``: design-bench imports offline, repeatedly, and follows DATA_DIR."""
from __future__ import annotations

import sys

from mbo_lib.tasks.design_bench_compat import import_design_bench, stubbed_modules


def test_import_design_bench_twice_and_data_dir_follows(tmp_path):
    first = import_design_bench(tmp_path / "a")
    second = import_design_bench(tmp_path / "b")  # a second call used to fail on our own stubs (__spec__ is None)
    assert first is second
    import design_bench.disk_resource as disk_resource

    assert disk_resource.DATA_DIR == str((tmp_path / "b").resolve())
    assert disk_resource.DiskResource.get_data_path("f.npy") == str((tmp_path / "b").resolve() / "f.npy")
    # Only packages that are really missing are stubbed, and stubs are flagged.
    for name in stubbed_modules():
        assert getattr(sys.modules[name], "__mbo_stub__", False)
    assert "numpy" not in stubbed_modules() and "design_bench" not in stubbed_modules()
