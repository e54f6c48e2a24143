"""A static, offline website of the executed notebooks: ``make site`` (``python tools/build_site.py``).

Layout of the output folder::

    index.html              claims scoreboard (from claims.ipynb, when it exists), then one card per notebook
    notebooks/<name>.html   every notebook as a page (nbconvert's ``lab`` template), figures embedded
    figures/<name>.png      each card's thumbnail (the notebook's first figure)
    report.html             the run_all.py report, copied when the source folder has one (+ report_files/)

Offline: nbconvert's ``lab`` template loads require.js, MathJax and mermaid from cdnjs and the Jupyter widget
manager from unpkg. The pages here are rendered with a template that extends ``lab`` and drops those four
blocks (:data:`OFFLINE_TEMPLATE`), so no page asks the network for anything, at build time or view time; all
CSS is inlined by nbconvert and images are embedded as data URIs. What that costs: LaTeX in markdown shows
as its source (no notebook uses any today), and ipywidgets outputs show their text fallback.

Example:
    >>> build_site("notebooks", "site")  # doctest: +SKIP
"""
from __future__ import annotations

import ast
import base64
import html
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import nbformat

from ..errors import InvalidInputError
from .report import _text, extract_section, notebook_error, notebook_title

CLAIMS_NOTEBOOK = "claims.ipynb"
# Extends nbconvert's lab template: no CDN scripts (require.js, MathJax, mermaid, widget manager), a link back.
OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}<link rel="icon" href="data:,">{%- endblock html_head_css -%}
{%- block body_header -%}{{ super() }}
<nav style="padding:0.5em 1em;font-family:sans-serif"><a href="../index.html">&larr; all notebooks</a></nav>
{%- endblock body_header -%}
"""
_CDN = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)


@dataclass
class NotebookCard:
    """What the index shows for one notebook.

    Attributes:
        name: file stem (``pgs_main_table``).
        title: the notebook's first heading.
        summary: the first paragraph under the title (markdown): what it reproduces.
        profile: the ``profile`` it was executed at (None when it declares none).
        seeds: the seeds its runs used (the smoke profile keeps the first two), None when it has no ``seeds``.
        status: ``ok`` | ``error`` | ``not executed``.
        error: ``"ename: evalue"`` of the first error output.
        figures: PNG figures of its outputs, in order.
        page: the page's path relative to the site root.
    """

    name: str
    title: str
    summary: str
    profile: str | None
    seeds: list | None
    status: str
    error: str | None = None
    figures: list[bytes] = field(default_factory=list)
    page: str = ""


def _literal_assignments(source: str) -> dict:
    """``{name: value}`` of the literal assignments of a parameters cell (``x: int = 3`` too); others skipped."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    out = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else \
            getattr(node, "target", None) if isinstance(node, ast.AnnAssign) else None
        if isinstance(target, ast.Name) and getattr(node, "value", None) is not None:
            try:
                out[target.id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return out


def notebook_parameters(nb: nbformat.NotebookNode) -> dict:
    """The parameters a notebook ran with: its ``parameters`` cell, updated by papermill's injected cell (or
    by ``metadata.papermill.parameters`` when the injected cell is gone)."""
    params: dict = {}
    for tag in ("parameters", "injected-parameters"):
        for cell in nb.cells:
            if cell.cell_type == "code" and tag in cell.metadata.get("tags", []):
                params.update(_literal_assignments(_text(cell.source)))
    params.update(nb.metadata.get("papermill", {}).get("parameters", {}) or {})
    return params


def _summary(nb: nbformat.NotebookNode) -> str:
    """The first non-heading paragraph of the first markdown cell."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for para in re.split(r"\n\s*\n", _text(cell.source)):
                if para.strip() and not para.lstrip().startswith("#"):
                    return para.strip()
            return ""
    return ""


def _figures(nb: nbformat.NotebookNode) -> list[bytes]:
    return [base64.b64decode(_text(out["data"]["image/png"])) for cell in nb.cells if cell.cell_type == "code"
            for out in cell.get("outputs", []) if "image/png" in out.get("data", {})]


def _executed(nb: nbformat.NotebookNode) -> bool:
    return any(cell.get("execution_count") is not None or cell.get("outputs")
               for cell in nb.cells if cell.cell_type == "code")


def notebook_card(path: str | Path, nb: nbformat.NotebookNode | None = None) -> NotebookCard:
    """The index card of the executed notebook at ``path``."""
    from .notebook import seeds_for

    path = Path(path)
    nb = nb if nb is not None else read_notebook(path)
    params = notebook_parameters(nb)
    profile = params.get("profile")
    seeds = params.get("seeds")
    if isinstance(seeds, list) and isinstance(profile, str):
        seeds = seeds_for(profile, seeds)
    error = notebook_error(nb)
    status = "error" if error else ("ok" if _executed(nb) else "not executed")
    return NotebookCard(name=path.stem, title=notebook_title(nb, path.stem), summary=_summary(nb), profile=profile,
                        seeds=seeds if isinstance(seeds, list) else None, status=status, error=error,
                        figures=_figures(nb), page=f"notebooks/{path.stem}.html")


def offline_exporter():
    """nbconvert's HTML exporter with :data:`OFFLINE_TEMPLATE` (no CDN assets)."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="lab", extra_loaders=[DictLoader({"mbo_offline.html.j2": OFFLINE_TEMPLATE})],
                        template_file="mbo_offline.html.j2")


def render_notebook_page(nb: nbformat.NotebookNode, title: str, exporter=None) -> str:
    """One notebook as a standalone offline HTML page (images inline).

    Raises:
        InvalidInputError: the page would still load something from the network (a template change upstream).
    """
    nb = nbformat.from_dict(nb)
    nb.metadata.pop("widgets", None)  # widget state would only be rendered by the (dropped) CDN widget manager
    nb.metadata["title"] = title
    body, _ = (exporter or offline_exporter()).from_notebook_node(nb)
    found = _CDN.search(body)
    if found:
        start = max(0, found.start() - 80)
        raise InvalidInputError(f"the page of {title!r} loads a network asset: ...{body[start:found.end() + 80]}...")
    return body


def _md(text: str) -> str:
    import mistune

    return mistune.html(text)


_STYLE = """
body{font-family:system-ui,sans-serif;max-width:72em;margin:1.5em auto;padding:0 1em;color:#222;background:#fafafa}
h1{margin-bottom:0.2em} .sub{color:#555;margin-top:0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(21em,1fr));gap:1em}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:0.8em 1em;display:flex;flex-direction:column}
.card h3{margin:0 0 0.4em 0;font-size:1.05em} .card h3 a{color:#1a4d8f;text-decoration:none}
.card .summary{font-size:0.88em;color:#333;flex:1}
.card img{width:100%;max-height:14em;object-fit:contain;border:1px solid #eee;margin-top:0.5em}
.meta{font-size:0.82em;color:#444;margin-top:0.5em} .badge{display:inline-block;padding:0 0.5em;border-radius:3px}
.ok{background:#d8f0d8;color:#145214} .error{background:#f8d7d7;color:#7a1010} .not-executed{background:#eee}
.scoreboard{background:#fff;border:1px solid #ddd;border-radius:6px;padding:0.8em 1em;margin-bottom:1.5em}
.scoreboard table{border-collapse:collapse} .scoreboard td,.scoreboard th{border:1px solid #ccc;padding:2px 6px}
code{background:#f0f0f0;padding:0 2px}
"""


def _card_html(card: NotebookCard, thumb: str | None) -> str:
    seeds = "—" if card.seeds is None else f"{len(card.seeds)} ({', '.join(map(str, card.seeds))})"
    status = {"ok": "executed ok", "error": "error", "not executed": "not executed"}[card.status]
    error = f"<div class=\"meta\"><code>{html.escape(card.error)}</code></div>" if card.error else ""
    img = f'<a href="{card.page}"><img src="{thumb}" alt="first figure of {html.escape(card.title)}"></a>' \
        if thumb else ""
    return (f'<div class="card" id="card-{card.name}"><h3><a href="{card.page}">{html.escape(card.title)}</a></h3>'
            f'<div class="summary">{_md(card.summary)}</div>{img}'
            f'<div class="meta">profile <b>{html.escape(str(card.profile or "—"))}</b> · seeds <b>{seeds}</b> · '
            f'<span class="badge {card.status.replace(" ", "-")}">{status}</span> · '
            f'<code>{card.name}.ipynb</code></div>{error}</div>')


def _scoreboard_html(claims: Path | None, figures_dir: Path) -> str:
    if claims is None:
        return ('<section class="scoreboard"><h2>Claims scoreboard</h2><p>No claims notebook yet '
                f'(<code>{CLAIMS_NOTEBOOK}</code> is not among the executed notebooks).</p></section>')
    section = extract_section(claims)
    parts = [f'<section class="scoreboard"><h2>Claims scoreboard</h2><p><a href="notebooks/{claims.stem}.html">'
             f'{html.escape(section.title)}</a></p>']
    if section.failed:
        parts.append(f"<p><b>The claims notebook failed:</b> <code>{html.escape(section.error)}</code></p>")
    n = 0
    for item in section.items:
        if item.kind == "markdown":
            parts.append(_md(item.content))
        elif item.kind == "html":
            parts.append(item.content)
        elif item.kind in ("text", "error"):
            parts.append(f"<pre>{html.escape(str(item.content))}</pre>")
        elif item.kind == "image" and item.mime == "image/png":
            n += 1
            (figures_dir / f"claims-{n}.png").write_bytes(item.content)
            parts.append(f'<img src="figures/claims-{n}.png" alt="claims figure {n}" style="max-width:100%">')
    return "\n".join(parts) + "</section>"


SITE_MARKER = ".mbo-site"  # written into every folder build_site makes; only a folder carrying it is replaced
_MARKER_TEXT = "made by mbo_lib.reporting.site.build_site (tools/build_site.py); replaced by the next build\n"
# What a site holds (the layout in the module docstring): a folder of only these is a site from before the marker
_SITE_ENTRIES = {"index.html": None, "report.html": None, "report_files": "*", "notebooks": ".html", "figures": ".png"}


def _is_unmarked_site(out: Path) -> bool:
    """``out`` holds an ``index.html`` and nothing a site does not hold (a site built before the marker)."""
    if not (out / "index.html").is_file():
        return False
    for entry in out.iterdir():
        kind = _SITE_ENTRIES.get(entry.name, False)
        if kind is False or (kind is None and not entry.is_file()) or (kind not in (None, False) and not entry.is_dir()):
            return False
        if kind not in (None, False, "*") and any(not f.is_file() or f.suffix != kind for f in entry.iterdir()):
            return False
    return True


def _clear_out(out: Path) -> None:
    """Make room for a site in ``out``: nothing to do when it is new or empty; delete it when it is a site this
    module made; refuse anything else.

    Raises:
        InvalidInputError: ``out`` is a file, or a non-empty folder without the :data:`SITE_MARKER` (the
            message names it); nothing is deleted.
    """
    if not out.exists():
        return
    if not out.is_dir():
        raise InvalidInputError(f"--out {out}: is a file, not a folder; not replacing it")
    if not any(out.iterdir()):
        out.rmdir()
        return
    if not (out / SITE_MARKER).is_file() and not _is_unmarked_site(out):
        raise InvalidInputError(f"--out {out}: not replacing it: the folder holds files build_site.py did not make "
                                f"(no {SITE_MARKER} marker); give a new or empty folder, or delete it yourself")
    shutil.rmtree(out)


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """The notebook at ``path`` (nbformat 4).

    Raises:
        InvalidInputError: it cannot be read or is not a valid notebook; the message names the file.
    """
    try:
        return nbformat.read(path, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises JSON, validation, version and OS errors
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        raise InvalidInputError(f"{path}: not a readable notebook ({type(exc).__name__}: {first})") from exc


@dataclass
class Site:
    """What :func:`build_site` wrote."""

    root: Path
    index: Path
    pages: list[Path]
    cards: list[NotebookCard]
    report: Path | None


def find_notebooks(source: Path) -> list[Path]:
    """The executed notebooks of ``source`` (no checkpoints, no ``_``/``.``-prefixed names), claims first."""
    found = sorted(p for p in Path(source).glob("*.ipynb") if not p.name.startswith(("_", ".")))
    return sorted(found, key=lambda p: p.name != CLAIMS_NOTEBOOK)


def build_site(source: str | Path, out: str | Path, title: str = "mbo-companion: executed notebooks",
               notebooks: Sequence[str | Path] | None = None) -> Site:
    """Build the static site of the executed notebooks in ``source`` into ``out`` (replaced if it exists).

    Args:
        source: a folder of executed notebooks: ``notebooks/`` (committed, quick profile) or ``runs/<profile>/``
            (from ``run_all.py``; its ``report.html`` is copied too).
        out: the output folder, new or empty; or a previous site, which is deleted first: one carrying the
            :data:`SITE_MARKER` file this function writes (or, from before the marker, one holding only the
            files a site has). Any other folder is refused, never deleted.
        title: the index page's heading.
        notebooks: explicit notebook paths instead of every ``*.ipynb`` in ``source``.

    Raises:
        InvalidInputError: ``source`` holds no notebook, a notebook cannot be read (the message names it), or
            ``out`` is a non-empty folder that is not a site this function made (the message names it).
    """
    source, out = Path(source), Path(out)
    paths = [Path(p) for p in notebooks] if notebooks is not None else find_notebooks(source)
    if not paths:
        raise InvalidInputError(f"no executed notebooks (*.ipynb) in {source}")
    read = [(path, read_notebook(path)) for path in paths]  # every notebook parses before anything is deleted
    _clear_out(out)
    (out / "notebooks").mkdir(parents=True)
    (out / "figures").mkdir()
    (out / SITE_MARKER).write_text(_MARKER_TEXT, encoding="utf-8")
    exporter = offline_exporter()
    cards, pages, claims = [], [], None
    for path, nb in read:
        card = notebook_card(path, nb)
        page = out / card.page
        page.write_text(render_notebook_page(nb, card.title, exporter), encoding="utf-8")
        pages.append(page)
        if path.name == CLAIMS_NOTEBOOK:
            claims = path
        else:
            cards.append(card)
    report = None
    if (source / "report.html").exists():
        report = out / "report.html"
        shutil.copy2(source / "report.html", report)
        if (source / "report_files").is_dir():
            shutil.copytree(source / "report_files", out / "report_files")
    index = out / "index.html"
    index.write_text(_index_html(title, cards, claims, report is not None, out / "figures"), encoding="utf-8")
    return Site(root=out, index=index, pages=pages, cards=cards, report=report)


def _index_html(title: str, cards: list[NotebookCard], claims: Path | None, has_report: bool, figures_dir: Path) -> str:
    body = []
    for card in cards:
        thumb = None
        if card.figures:
            thumb = f"figures/{card.name}.png"
            (figures_dir / f"{card.name}.png").write_bytes(card.figures[0])
        body.append(_card_html(card, thumb))
    counts = {s: sum(c.status == s for c in cards) for s in ("ok", "error", "not executed")}
    report = ' · <a href="report.html">the report (every table and figure on one page)</a>' if has_report else ""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
            f"<style>{_STYLE}</style></head><body>\n<h1>{html.escape(title)}</h1>"
            f'<p class="sub">{len(cards)} notebooks: {counts["ok"]} executed ok, {counts["error"]} with an error, '
            f'{counts["not executed"]} not executed{report}</p>\n'
            f"{_scoreboard_html(claims, figures_dir)}\n<h2>Notebooks</h2>\n<div class=\"cards\">\n"
            + "\n".join(body) + "\n</div>\n</body></html>\n")
