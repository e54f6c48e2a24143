"""pyproject.toml is the single source of dependencies; environment.yml mirrors it."""
import tomllib
from pathlib import Path

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
