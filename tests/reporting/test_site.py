"""The static offline site (mbo_lib/reporting/site.py): built from the committed executed notebooks, checked as
files here and in a real headless browser (Debian's chromium + chromedriver through selenium).

The browser tests skip with the reason when chromium, chromedriver or selenium is missing on a developer's
machine, and FAIL under CI (``CI=true``), where ``.ci/run`` installs them."""
from __future__ import annotations

import base64
import html
import io
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from mbo_lib.errors import InvalidInputError
from mbo_lib.reporting.site import CLAIMS_NOTEBOOK, build_site, notebook_card, notebook_parameters

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


def _png() -> bytes:
    """A 2 x 2 PNG with two colours."""
    from PIL import Image

    image = Image.new("RGB", (2, 2), "white")
    image.putpixel((0, 0), (200, 30, 30))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


PNG = _png()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return build_site(NOTEBOOKS, tmp_path_factory.mktemp("site") / "site")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append((tag, name, value))


def _links(path: Path) -> list[tuple[str, str, str]]:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.urls


def test_every_committed_notebook_has_a_page_and_a_card(site):
    names = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert sorted(p.stem for p in site.pages) == names
    assert sorted(c.name for c in site.cards) == [n for n in names if n + ".ipynb" != CLAIMS_NOTEBOOK]
    index = site.index.read_text()
    for card in site.cards:
        assert f'href="notebooks/{card.name}.html"' in index and html.escape(card.title) in index
        assert card.status == "ok" and card.profile == "quick"  # the committed notebooks are executed at quick
    quick = next(c for c in site.cards if c.name == "00_quickstart")
    assert quick.seeds == [0, 1, 2, 3] and "seeds <b>4 (0, 1, 2, 3)</b>" in index
    # each notebook page carries every figure of its notebook, inline
    nb = nbformat.read(NOTEBOOKS / "00_quickstart.ipynb", as_version=4)
    figures = [o["data"]["image/png"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if "image/png" in o.get("data", {})]
    page = (site.root / "notebooks" / "00_quickstart.html").read_text()
    assert figures and all(f'src="data:image/png;base64,{"".join(f).strip()}"' in page for f in figures)


def test_pages_are_offline_and_links_resolve(site):
    for page in [site.index, *site.pages]:
        for tag, attr, url in _links(page):
            assert not re.match(r"^(https?:)?//", url), f"{page.name}: <{tag} {attr}={url}> loads from the network"
            if tag in ("img", "script", "link") or (tag == "a" and not url.startswith(("#", "http", "mailto:"))):
                if url.startswith("data:"):
                    continue
                target = (page.parent / url.split("#")[0]).resolve()
                assert target.is_file(), f"{page.name}: <{tag} {attr}={url}> points to a missing file"


def test_claims_notebook_is_the_scoreboard_on_top_and_errors_show(tmp_path):
    src = tmp_path / "runs"
    src.mkdir()
    shutil.copy(NOTEBOOKS / "00_quickstart.ipynb", src / "00_quickstart.ipynb")
    claims = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Claims scoreboard\n\nWhich claims hold."),
        nbformat.v4.new_code_cell("show()", metadata={"tags": ["report"]}, outputs=[
            nbformat.v4.new_output("display_data",
                                   data={"text/html": "<table><tr><td>claim-A</td><td>holds</td></tr></table>"}),
            nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(PNG).decode()}),
        ])])
    nbformat.write(claims, src / CLAIMS_NOTEBOOK)
    broken = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# A broken one\n\nIt fails."),
        nbformat.v4.new_code_cell("profile = 'smoke'\nseeds = [0, 1, 2, 3]", metadata={"tags": ["parameters"]},
                                  execution_count=1),
        nbformat.v4.new_code_cell("1/0", execution_count=2, outputs=[
            nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])])])
    nbformat.write(broken, src / "broken.ipynb")
    (src / "report.html").write_text("<html><body>report</body></html>")
    (src / "report_files").mkdir()
    (src / "report_files" / "fig.png").write_bytes(PNG)
    site = build_site(src, tmp_path / "site")
    index = site.index.read_text()
    assert index.index("claim-A") < index.index("Quick start")  # scoreboard above the cards
    assert "figures/claims-1.png" in index and (site.root / "figures" / "claims-1.png").read_bytes() == PNG
    assert [c.name for c in site.cards] == ["00_quickstart", "broken"]  # claims is not a card
    card = site.cards[1]
    assert card.status == "error" and card.error == "ZeroDivisionError: division by zero"
    assert card.seeds == [0, 1]  # the smoke profile runs the first two seeds
    assert "ZeroDivisionError: division by zero" in index and "1 with an error" in index
    assert (site.root / "report.html").exists() and (site.root / "report_files" / "fig.png").exists()
    assert 'href="report.html"' in index


def test_no_claims_notebook_says_so(tmp_path):
    import shutil

    src = tmp_path / "notebooks"
    src.mkdir()
    shutil.copy(NOTEBOOKS / "ignite_toy_1d.ipynb", src)  # any executed notebook but claims
    assert "No claims notebook yet" in build_site(src, tmp_path / "site").index.read_text()


def test_the_claims_scoreboard_is_on_top_of_the_index(site):
    html = site.index.read_text()
    assert "No claims notebook yet" not in html and "notebooks/claims.html" in html
    assert html.index("Claims scoreboard") < html.index("00_quickstart")


def test_injected_parameters_override_the_defaults():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('profile: str = "quick"\nseeds: list = [0, 1, 2]\nx = f(3)',
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell('profile = "paper"', metadata={"tags": ["injected-parameters"]})])
    assert notebook_parameters(nb) == {"profile": "paper", "seeds": [0, 1, 2]}
    card = notebook_card("x.ipynb", nb)
    assert (card.profile, card.seeds, card.status) == ("paper", [0, 1, 2], "not executed")
    nb.metadata["papermill"] = {"parameters": {"profile": "smoke", "seeds": [4, 5, 6]}}  # run_all.py's outputs
    card = notebook_card("x.ipynb", nb)
    assert (card.profile, card.seeds) == ("smoke", [4, 5])


def test_build_refuses_empty_source_and_foreign_out(tmp_path):
    with pytest.raises(InvalidInputError, match="no executed notebooks"):
        build_site(tmp_path, tmp_path / "site")
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("x")
    with pytest.raises(InvalidInputError, match="holds files build_site.py did not make"):
        build_site(NOTEBOOKS, foreign, notebooks=[NOTEBOOKS / "00_quickstart.ipynb"])
    assert (foreign / "keep.txt").exists()


def test_build_site_tool(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "build_site.py"), "--from", str(tmp_path),
                          "--out", str(tmp_path / "site")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "no executed notebooks" in out.stderr and "Traceback" not in out.stderr


# ------------------------------------------------------------------ issue 30 (1), (9): --out safety, broken notebooks
def _tiny_source(tmp_path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Tiny\n\nA tiny notebook.")]),
                   src / "tiny.ipynb")
    return src


def _tool():
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_site_tool", ROOT / "tools" / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_out_holding_an_index_html_and_user_files_is_refused_and_kept(tmp_path, capsys):
    mine = tmp_path / "my project"
    (mine / "notebooks").mkdir(parents=True)
    (mine / "index.html").write_text("my home page")
    (mine / "thesis.tex").write_text("years of work")
    (mine / "notebooks" / "draft.ipynb").write_text("{}")
    assert _tool().main(["--from", str(_tiny_source(tmp_path)), "--out", str(mine)]) == 2
    err = capsys.readouterr().err
    assert err == (f"build_site.py: error: --out {mine}: not replacing it: the folder holds files build_site.py did "
                   "not make (no .mbo-site marker); give a new or empty folder, or delete it yourself\n")
    assert (mine / "thesis.tex").read_text() == "years of work" and (mine / "index.html").read_text() == "my home page"
    assert (mine / "notebooks" / "draft.ipynb").exists()


def test_a_site_carries_the_marker_and_is_rebuilt_in_place(tmp_path):
    src, out = _tiny_source(tmp_path), tmp_path / "site"
    build_site(src, out)
    assert (out / ".mbo-site").is_file()
    (out / "notes.txt").write_text("inside a site the tool made")  # a marked folder is the tool's: replaced
    site = build_site(src, out)
    assert site.index.exists() and not (out / "notes.txt").exists() and (out / ".mbo-site").is_file()
    (out / ".mbo-site").unlink()  # a site from before the marker: only site files, so it is replaced too
    build_site(src, out)
    assert (out / ".mbo-site").is_file()
    (out / ".mbo-site").unlink()
    (out / "notebooks" / "mine.txt").write_text("x")  # ...unless it holds anything a site does not
    with pytest.raises(InvalidInputError, match="no .mbo-site marker"):
        build_site(src, out)
    assert (out / "notebooks" / "mine.txt").exists()


def test_an_unparsable_notebook_is_named_and_nothing_is_deleted(tmp_path, capsys):
    src, out = _tiny_source(tmp_path), tmp_path / "site"
    build_site(src, out)
    bad = src / "broken.ipynb"
    bad.write_text('{"cells": [}')
    with pytest.raises(InvalidInputError, match=r"broken\.ipynb: not a readable notebook \(NotJSONError: "):
        build_site(src, out)
    assert (out / "notebooks" / "tiny.html").exists()  # the previous site is kept
    assert _tool().main(["--from", str(src), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"build_site.py: error: {bad}: not a readable notebook (NotJSONError: ")
    assert len(err.splitlines()) == 1 and "Traceback" not in err


# ------------------------------------------------------------------------------------------ headless browser
def _browser_or_skip():
    missing = [name for name in ("chromium", "chromedriver") if shutil.which(name) is None]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip install selenium; it is in the test extra)")
    if missing:
        reason = f"headless browser test needs {', '.join(missing)} (Debian: apt-get install chromium chromium-driver)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1800",
                "--disable-background-networking"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def test_missing_browser_skips_here_and_fails_under_ci(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="needs chromium, chromedriver"):
        _browser_or_skip()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true but headless browser test needs chromium"):
        _browser_or_skip()


@pytest.fixture(scope="module")
def browser():
    driver = _browser_or_skip()
    yield driver
    driver.quit()


def severe_console_entries(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def broken_images(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")


def test_browser_checks_can_fail(browser, tmp_path):
    """The checks below catch what they look for: a console error and an image that does not load."""
    page = tmp_path / "bad.html"
    page.write_text('<html><body><img src="missing.png"><script>console.error("boom")</script></body></html>')
    browser.get(page.as_uri())
    assert any("boom" in m for m in severe_console_entries(browser))
    assert broken_images(browser) == [(tmp_path / "missing.png").as_uri()]


def test_site_in_a_headless_browser(browser, site, tmp_path):
    from PIL import Image

    browser.get(site.index.as_uri())
    assert severe_console_entries(browser) == []
    n_images = browser.execute_script("return document.images.length")
    assert n_images == sum(bool(c.figures) for c in site.cards) > 0
    assert broken_images(browser) == []
    png = browser.get_screenshot_as_png()
    (tmp_path / "index.png").write_bytes(png)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size[0] > 100 and len(image.getcolors(maxcolors=1 << 24)) > 1, "the index screenshot is blank"
    for page in site.pages:
        browser.get(page.as_uri())
        assert severe_console_entries(browser) == [], page.name
        assert broken_images(browser) == [], page.name
        assert browser.title, page.name
