"""pyproject.toml is the single source of dependencies; environment.yml mirrors it."""
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _pyproject_requirements() -> set[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = set(meta["dependencies"])
    for extra in meta["optional-dependencies"].values():
        reqs |= set(extra)
    return reqs


def _environment_requirements() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    return {r for r in pip if not r.startswith("-e")}


def _name(req: str) -> str:
    for sep in ("==", ">=", "<=", "~=", "<", ">", "["):
        req = req.split(sep)[0]
    return req.strip().lower()


def test_environment_yml_mirrors_pyproject():
    py, env = _pyproject_requirements(), _environment_requirements()
    # torch: a range in pyproject, the tested pin in environment.yml
    assert {_name(r) for r in py} == {_name(r) for r in env}
    assert py - {r for r in py if _name(r) == "torch"} == env - {r for r in env if _name(r) == "torch"}


def test_ci_calls_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "\nmake test\n" in ci


# ------------------------------------------------------------------------------------------ requirements-lock.txt
def _lock() -> dict[str, str]:
    """``{normalized name: version}`` of requirements-lock.txt (every line ``name==version``)."""
    pins = {}
    path = ROOT / "requirements-lock.txt"
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        pytest.fail(f"{path}: not UTF-8 text (offset {exc.start}); regenerate it with python tools/lock_env.py")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep and version and "+" not in version, f"requirements-lock.txt: not an exact pin: {line!r}"
        pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def _recorded_versions() -> dict[str, set[str]]:
    """``{package: versions}`` that the committed records name in ``environment.packages`` (local label dropped)."""
    import json

    found: dict[str, set[str]] = {}
    for path in (ROOT / "records").rglob("*.json"):
        packages = json.loads(path.read_text()).get("environment", {}).get("packages", {})
        for pkg in ("torch", "numpy", "botorch"):
            if packages.get(pkg):
                found.setdefault(pkg, set()).add(packages[pkg].split("+")[0])
    return found


def test_lock_file_pins_the_versions_the_committed_records_were_made_with():
    lock, recorded = _lock(), _recorded_versions()
    assert set(recorded) == {"torch", "numpy", "botorch"}, f"committed records name {sorted(recorded)}"
    for pkg, versions in recorded.items():
        assert versions == {lock.get(pkg)}, (f"committed records were made with {pkg} {sorted(versions)}, "
                                             f"requirements-lock.txt pins {lock.get(pkg)}: run tools/lock_env.py")


def test_lock_file_covers_pyproject_and_the_makefile_pins():
    from packaging.requirements import Requirement

    lock = _lock()
    assert "mbo-companion" not in lock, "the project itself must not be in the lock file"
    for text in sorted(_pyproject_requirements()):
        req = Requirement(text)
        name = req.name.lower().replace("_", "-")
        assert name in lock, f"pyproject.toml requires {text!r}; requirements-lock.txt lacks it"
        assert req.specifier.contains(lock[name], prereleases=True), f"lock pins {name}=={lock[name]}, outside {text!r}"
        for extra in req.extras:  # dask[distributed] -> distributed
            assert extra in lock, f"{text!r}: requirements-lock.txt lacks {extra}"
    makefile = (ROOT / "Makefile").read_text()
    assert f"TORCH_SPEC ?= torch=={lock['torch']}\n" in makefile
    assert f"DESIGN_BENCH_SPEC ?= design-bench=={lock['design-bench']}\n" in makefile
    assert "-c $(LOCK_FILE)" in makefile and "setup-locked:" in makefile


def test_a_non_utf8_lock_file_fails_naming_it(tmp_path, monkeypatch):
    """Issue 30 (11): the lock tests name the file instead of erroring with a raw UnicodeDecodeError."""
    (tmp_path / "requirements-lock.txt").write_bytes(b"numpy==2.0.0\n\xe9\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    with pytest.raises(pytest.fail.Exception) as info:
        _lock()
    assert str(info.value) == (f"{tmp_path / 'requirements-lock.txt'}: not UTF-8 text (offset 13); "
                               "regenerate it with python tools/lock_env.py")
