"""One page with every paper table and figure of the executed notebooks (``run_all.py --report``).

A notebook marks the cells a reader of the reproduction must see with the cell tag ``report`` (tables of ours
next to published values, figures). This module reads executed notebooks (papermill outputs), pulls out the
outputs of those cells and writes ``report.md`` (and ``report.html`` when ``mistune`` is installed), with PNG/SVG
images saved beside it in ``report_files/``. Nothing is recomputed: the page shows exactly what the notebooks
printed.

Per tagged cell:

- markdown cell: its source (use it for a caption that must travel with a figure);
- code cell: each output, richest first: ``image/png`` / ``image/svg+xml`` (saved as a file),
  ``text/markdown``, ``text/html`` (e.g. a pandas table), ``text/plain``; ``stdout`` streams as text;
  errors as ``ename: evalue``. ``stderr`` streams (warnings, progress bars) are left out.

The untagged markdown cell right before a tagged code cell is shown above it as its caption (the notebooks put
"statistic, percentile, n seeds, what the error bars are" there).

Example:
    >>> from mbo_lib.reporting.report import write_report
    >>> write_report(["runs/smoke/00_quickstart.ipynb"], "runs/smoke/report.md")  # doctest: +SKIP
"""
from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import nbformat

REPORT_TAG = "report"
# Notebooks (file stems) that open the report, in this order; every other notebook follows in the order given.
REPORT_FIRST = ("claims",)
IMAGE_MIMES = {"image/png": ".png", "image/svg+xml": ".svg", "image/jpeg": ".jpg"}
# richest first: a matplotlib figure has image/png and a useless "<Figure ...>" text/plain
MIME_PRIORITY = ("image/png", "image/svg+xml", "image/jpeg", "text/markdown", "text/html", "text/plain")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class ReportItem:
    """One piece of a notebook's report section.

    Attributes:
        kind: ``markdown`` | ``html`` | ``text`` | ``image`` | ``error``.
        content: the text, or the image bytes for ``image``.
        mime: the MIME type it came from (``text/html``, ``image/png``, ...).
        cell: index of the source cell in the notebook.
        caption: True for the untagged markdown cell shown above a tagged code cell.
    """

    kind: str
    content: str | bytes
    mime: str
    cell: int
    caption: bool = False


@dataclass
class NotebookSection:
    """What the report shows for one executed notebook."""

    path: Path
    title: str
    parameters: dict = field(default_factory=dict)
    error: str | None = None  # "ValueError: ..." when the notebook failed
    items: list[ReportItem] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.error is not None


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def notebook_title(nb: nbformat.NotebookNode, default: str) -> str:
    """The first markdown heading of the notebook (without ``#``), else ``default``."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in _text(cell.source).splitlines():
            if line.lstrip().startswith("#"):
                return line.lstrip().lstrip("#").strip()
    return default


def notebook_error(nb: nbformat.NotebookNode) -> str | None:
    """``"<ename>: <evalue>"`` of the first error output of an executed notebook, else None."""
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "error":
                return f"{out.get('ename', 'Error')}: {_ANSI.sub('', _text(out.get('evalue', '')))}".rstrip(": ")
    return None


def _output_items(out, cell_index: int) -> list[ReportItem]:
    otype = out.get("output_type")
    if otype == "stream":
        if out.get("name") == "stdout" and _text(out.get("text", "")).strip():
            return [ReportItem("text", _ANSI.sub("", _text(out["text"])).rstrip("\n"), "text/plain", cell_index)]
        return []
    if otype == "error":
        msg = f"{out.get('ename', 'Error')}: {_ANSI.sub('', _text(out.get('evalue', '')))}"
        return [ReportItem("error", msg, "error", cell_index)]
    data = out.get("data", {})
    for mime in MIME_PRIORITY:
        if mime not in data:
            continue
        value = data[mime]
        if mime in IMAGE_MIMES:
            raw = _text(value).encode() if mime == "image/svg+xml" else base64.b64decode(_text(value))
            return [ReportItem("image", raw, mime, cell_index)]
        kind = {"text/markdown": "markdown", "text/html": "html", "text/plain": "text"}[mime]
        return [ReportItem(kind, _text(value), mime, cell_index)]
    return []


def extract_section(notebook: str | Path | nbformat.NotebookNode, tag: str = REPORT_TAG,
                    name: str | None = None) -> NotebookSection:
    """Read an executed notebook and collect the outputs of its cells tagged ``tag``.

    Args:
        notebook: a path to an ``.ipynb`` or a loaded notebook.
        tag: the cell tag that marks report cells.
        name: the name shown when the notebook has no title (default: the file stem).
    """
    if isinstance(notebook, (str, Path)):
        path = Path(notebook)
        nb = nbformat.read(path, as_version=4)
    else:
        path, nb = Path(name or "notebook.ipynb"), notebook
    section = NotebookSection(path=path, title=notebook_title(nb, name or path.stem),
                              parameters=dict(nb.metadata.get("papermill", {}).get("parameters", {})),
                              error=notebook_error(nb))
    previous_markdown = None
    for i, cell in enumerate(nb.cells):
        tags = cell.metadata.get("tags", [])
        if tag in tags:
            if cell.cell_type == "markdown":
                section.items.append(ReportItem("markdown", _text(cell.source), "text/markdown", i))
            elif cell.cell_type == "code":
                if previous_markdown is not None:
                    section.items.append(ReportItem("markdown", _text(previous_markdown[1].source), "text/markdown",
                                                    previous_markdown[0], caption=True))
                for out in cell.get("outputs", []):
                    section.items.extend(_output_items(out, i))
            previous_markdown = None
        elif cell.cell_type == "markdown":
            previous_markdown = (i, cell)
        else:
            previous_markdown = None
    return section


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "notebook"


def _format_params(params: dict) -> str:
    return ", ".join(f"`{k}={v!r}`" for k, v in params.items())


def render_markdown(sections: Sequence[NotebookSection], report_dir: str | Path, title: str = "Reproduction report",
                    summary: Sequence[dict] | None = None, files_dir: str = "report_files") -> str:
    """The report page as markdown; images are written to ``report_dir/files_dir``.

    Args:
        sections: one per notebook, in page order.
        report_dir: folder of the report file (image links are relative to it).
        title: page title.
        summary: optional rows ``{"notebook", "status", "seconds", "peak_mib", "error"}`` from the runner,
            shown as a table at the top.
    """
    report_dir = Path(report_dir)
    image_dir = report_dir / files_dir
    lines = [f"# {title}", ""]
    if summary:
        lines += ["| notebook | status | wall time (s) | peak memory (MiB) |", "|---|---|---:|---:|"]
        for row in summary:
            seconds = f"{row['seconds']:.1f}" if row.get("seconds") is not None else "—"
            peak = f"{row['peak_mib']:.0f}" if row.get("peak_mib") is not None else "—"
            status = row["status"] + (f": {row['error']}" if row.get("error") else "")
            lines.append(f"| {row['notebook']} | {status.replace('|', '/')} | {seconds} | {peak} |")
        lines.append("")
    if sections:
        lines += ["Contents:", ""] + [f"- [{s.title}](#{_slug(s.title)})" for s in sections] + [""]
    for s in sections:
        lines += [f'<a id="{_slug(s.title)}"></a>', "", f"## {s.title}", "", f"Notebook: `{s.path.name}`"
                  + (f" — parameters: {_format_params(s.parameters)}" if s.parameters else ""), ""]
        if s.failed:
            lines += [f"> **This notebook failed:** `{s.error}`. Its outputs below may be incomplete.", ""]
        if not s.items:
            lines += ["*(no cells tagged `report` produced output)*", ""]
        counter = 0
        for item in s.items:
            if item.kind == "markdown":  # headings one level down: the notebook's title is the section's ##
                lines += [re.sub(r"^(#{1,5})(?=\s)", r"#\1", item.content.strip(), flags=re.M), ""]
            elif item.kind == "html":
                lines += [item.content.strip(), ""]
            elif item.kind == "text":
                lines += ["```text", item.content, "```", ""]
            elif item.kind == "error":
                lines += [f"> **Error:** `{item.content}`", ""]
            elif item.kind == "image":
                counter += 1
                image_dir.mkdir(parents=True, exist_ok=True)
                fname = f"{_slug(s.path.stem)}-{counter}{IMAGE_MIMES[item.mime]}"
                (image_dir / fname).write_bytes(item.content)
                lines += [f"![{s.title}, figure {counter}]({files_dir}/{fname})", ""]
    return "\n".join(lines).rstrip() + "\n"


def markdown_to_html(text: str, title: str) -> str | None:
    """A standalone HTML page from the report markdown (raw HTML tables kept); None without ``mistune``."""
    try:
        import mistune
    except ImportError:
        return None
    body = mistune.create_markdown(escape=False, plugins=["table"])(text)
    style = ("body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}img{max-width:100%}")
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>\n{body}</body></html>\n")


def report_order(paths: Iterable[str | Path]) -> list[Path]:
    """``paths`` with the notebooks of :data:`REPORT_FIRST` first (in that order), the rest in their given order.

    Example:
        >>> [p.name for p in report_order(["a.ipynb", "claims.ipynb", "b.ipynb"])]
        ['claims.ipynb', 'a.ipynb', 'b.ipynb']
    """
    paths = [Path(p) for p in paths]
    rank = {stem: i for i, stem in enumerate(REPORT_FIRST)}
    return sorted(paths, key=lambda p: rank.get(p.stem, len(rank)))  # stable: the rest keep their order


def write_report(notebooks: Iterable[str | Path], out_path: str | Path, title: str = "Reproduction report",
                 summary: Sequence[dict] | None = None, html_page: bool = True) -> Path:
    """Write the report page for executed ``notebooks`` to ``out_path`` (``.md``); also ``.html`` beside it.

    Sections follow :func:`report_order` (the claims scoreboard first).

    Notebooks that do not exist (e.g. one that timed out before papermill wrote it) are skipped; the
    ``summary`` table still lists them.

    Returns:
        The markdown file's path.
    """
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    sections = [extract_section(p) for p in report_order(notebooks) if p.exists()]
    text = render_markdown(sections, out_path.parent, title=title, summary=summary)
    out_path.write_text(text)
    if html_page:
        page = markdown_to_html(text, title)
        if page is not None:
            out_path.with_suffix(".html").write_text(page)
    return out_path
