"""tools/readme_results.py: the README's results section is what the committed records give now (a stale README
fails here), the rewrite touches only the part between the markers, and the claims scoreboard enters when its
module is there (a fallback line when it is not)."""
from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("readme_results", ROOT / "tools" / "readme_results.py")
readme_results = importlib.util.module_from_spec(spec)
spec.loader.exec_module(readme_results)


@pytest.fixture(scope="module")
def generated() -> str:
    return readme_results.section()


def test_readme_section_equals_what_the_records_give(generated):
    text = (ROOT / "README.md").read_text()
    start, end = text.index(readme_results.START), text.index(readme_results.END) + len(readme_results.END)
    assert text[start:end] == generated, "README.md's results section is stale: run `python tools/readme_results.py`"


def test_generation_is_deterministic_and_shows_n_and_intervals(generated):
    assert readme_results.section() == generated
    assert "| GA |" in generated and "| MINs |" in generated and "TFBind10 ours" in generated
    assert "[`ignite_gain_table`](notebooks/ignite_gain_table.ipynb)" in generated
    assert "| MATCH-OPT | TFBind8 |" in generated and "| PGS | TFBind10 |" in generated
    assert "0.000 ± 0.000" not in generated  # a missing cell is "—", never zero
    # IGNITE's gain at quick and, from the campaign's records, at IGNITE's own settings, each with its power
    ignite = next(line for line in generated.splitlines() if line.startswith("**IGNITE's gain**"))
    assert ignite.count("cells with a paired 95% interval") == 2 and ignite.count("would need about n = ") == 2
    assert "At IGNITE's own settings (`paper` profile" in ignite


def test_rewrite_replaces_only_the_marked_part():
    s, e = readme_results.START, readme_results.END
    text = f"# Title\n\nbefore\n{s}\nold numbers\n{e}\nafter\n"
    assert readme_results.rewrite(text, f"{s}\nnew\n{e}") == f"# Title\n\nbefore\n{s}\nnew\n{e}\nafter\n"
    with pytest.raises(readme_results.MBOError, match="exactly one"):
        readme_results.rewrite("no markers here", f"{s}\n{e}")
    with pytest.raises(readme_results.MBOError, match="exactly one"):
        readme_results.rewrite(f"{e}\n{s}", f"{s}\n{e}")


def test_check_fails_on_a_stale_readme_and_rewrite_fixes_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(readme_results, "section",
                        lambda records=None: f"{readme_results.START}\nfresh\n{readme_results.END}")
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{readme_results.START}\nstale\n{readme_results.END}\nrest\n")
    assert readme_results.main(["--check", "--readme", str(readme)]) == 1
    assert readme_results.main(["--readme", str(readme)]) == 0
    assert readme.read_text() == f"intro\n{readme_results.START}\nfresh\n{readme_results.END}\nrest\n"
    assert readme_results.main(["--check", "--readme", str(readme)]) == 0
    readme.write_text("no markers")
    assert readme_results.main(["--readme", str(readme)]) == 2
    assert "readme_results: error:" in capsys.readouterr().err


def _hide_claims(monkeypatch):
    import mbo_lib.reporting

    monkeypatch.delattr(mbo_lib.reporting, "claims", raising=False)
    monkeypatch.setitem(sys.modules, "mbo_lib.reporting.claims", None)  # import raises ImportError


def test_claims_fallback_when_the_module_is_absent(monkeypatch):
    _hide_claims(monkeypatch)
    assert readme_results._paper_settings_sentence(None) == ""  # the paper-settings IGNITE sentence needs claims
    assert readme_results.claims_part(None) == [
        "**Claims scoreboard**: see [notebooks/claims.ipynb](notebooks/claims.ipynb)."]


def test_claims_scoreboard_rows_when_the_module_is_there(monkeypatch):
    _hide_claims(monkeypatch)
    calls = []

    def scoreboard(settings, store, toy):
        calls.append((settings, store, toy))
        return pd.DataFrame([{"claim": "I1", "statement": "IGNITE improves | most cells", "settings": "quick",
                              "n": "4", "verdict": "inconclusive at n = 4", "reason": "…"}])

    fake = types.ModuleType("mbo_lib.reporting.claims")
    fake.scoreboard = scoreboard
    monkeypatch.setitem(sys.modules, "mbo_lib.reporting.claims", fake)
    import mbo_lib.reporting

    monkeypatch.setattr(mbo_lib.reporting, "claims", fake, raising=False)
    lines = readme_results.claims_part("STORE")
    assert calls == [(("quick", "paper"), "STORE", False)]  # no live fitting of the toy claim
    assert "| claim | statement | settings | n | verdict |" in lines
    assert "| I1 | IGNITE improves / most cells | quick | 4 | inconclusive at n = 4 |" in lines
