"""The report page: outputs of cells tagged ``report`` from executed notebooks, images saved beside it."""
from __future__ import annotations

import base64

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from mbo_lib.reporting.report import (extract_section, notebook_error, notebook_title, render_markdown, report_order,
                                      write_report)

PNG = base64.b64decode(  # a 1 x 1 PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def executed_notebook() -> nbformat.NotebookNode:
    table = new_code_cell("table", metadata={"tags": ["report"]}, outputs=[
        new_output("execute_result", data={"text/html": "<table><tr><td>0.912 ± 0.013</td></tr></table>",
                                           "text/plain": "0.912 ± 0.013"}, execution_count=3)])
    figure = new_code_cell("fig", metadata={"tags": ["report"]}, outputs=[
        new_output("stream", name="stderr", text="UserWarning: noisy\n"),
        new_output("stream", name="stdout", text="n = 4 seeds\n"),
        new_output("display_data", data={"image/png": base64.b64encode(PNG).decode(),
                                         "text/plain": "<Figure size 640x480 with 1 Axes>"})])
    nb = new_notebook(cells=[
        new_markdown_cell("# GA on TF-Bind-8\n\nIntro paragraph."),
        new_code_cell("print('banner')", outputs=[new_output("stream", name="stdout", text="banner\n")]),
        new_markdown_cell("## Table 1\nOurs next to published."),
        table,
        new_markdown_cell("Figure caption: mean ± std over 4 seeds.", metadata={"tags": ["report"]}),
        new_markdown_cell("### Figure 2\nBars: mean ± std."),
        figure,
        new_code_cell("x", metadata={"tags": ["report"]}, outputs=[
            new_output("display_data", data={"text/markdown": "**bold claim**", "text/plain": "<Markdown>"})]),
    ])
    nb.metadata["papermill"] = {"parameters": {"profile": "smoke"}}
    return nb


def test_extract_section_collects_tagged_outputs_richest_first():
    section = extract_section(executed_notebook(), name="ga")
    assert section.title == "GA on TF-Bind-8"
    assert section.parameters == {"profile": "smoke"}
    assert not section.failed
    kinds = [(item.kind, item.mime) for item in section.items]
    assert kinds == [("markdown", "text/markdown"),  # caption of the table (untagged markdown before it)
                     ("html", "text/html"),
                     ("markdown", "text/markdown"),  # a tagged markdown cell
                     ("markdown", "text/markdown"),  # caption of the figure
                     ("text", "text/plain"),  # stdout (stderr left out)
                     ("image", "image/png"),
                     ("markdown", "text/markdown")]
    assert section.items[0].caption and section.items[0].content.startswith("## Table 1")
    assert section.items[5].content == PNG
    assert "banner" not in " ".join(str(i.content) for i in section.items)  # untagged output is not reported


def test_render_writes_images_and_demotes_headings(tmp_path):
    section = extract_section(executed_notebook(), name="ga")
    text = render_markdown([section], tmp_path, title="Report",
                           summary=[{"notebook": "ga.ipynb", "status": "ok", "seconds": 1.25, "peak_mib": 300.0}])
    assert text.startswith("# Report\n")
    assert "| ga.ipynb | ok | 1.2 | 300 |" in text
    assert "## GA on TF-Bind-8" in text and "### Table 1" in text and "#### Figure 2" in text
    assert "<table><tr><td>0.912 ± 0.013</td></tr></table>" in text
    assert "```text\nn = 4 seeds\n```" in text
    images = list((tmp_path / "report_files").glob("*.png"))
    assert len(images) == 1 and images[0].read_bytes() == PNG
    assert f"(report_files/{images[0].name})" in text


def test_failed_notebook_is_flagged(tmp_path):
    nb = executed_notebook()
    nb.cells.append(new_code_cell("raise ValueError('boom')", metadata={"tags": ["report"]}, outputs=[
        new_output("error", ename="ValueError", evalue="\x1b[31mboom\x1b[0m", traceback=[])]))
    assert notebook_error(nb) == "ValueError: boom"
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    out = write_report([path, tmp_path / "never_written.ipynb"], tmp_path / "out" / "report.md")
    text = out.read_text()
    assert "**This notebook failed:** `ValueError: boom`" in text
    assert "> **Error:** `ValueError: boom`" in text
    html = out.with_suffix(".html").read_text()
    assert "<table><tr><td>0.912 ± 0.013</td></tr></table>" in html and "<h2" in html


def test_title_falls_back_to_name():
    nb = new_notebook(cells=[new_code_cell("1")])
    assert notebook_title(nb, "fallback") == "fallback"
    assert notebook_error(nb) is None


def test_claims_scoreboard_opens_the_report(tmp_path):
    paths = []
    for name, title in (("00_quickstart", "Quick start"), ("claims", "Claims scoreboard"), ("pgs_main_table", "PGS")):
        nb = new_notebook(cells=[new_markdown_cell(f"# {title}")])
        paths.append(tmp_path / f"{name}.ipynb")
        nbformat.write(nb, paths[-1])
    assert [p.stem for p in report_order(paths)] == ["claims", "00_quickstart", "pgs_main_table"]
    assert [p.stem for p in report_order([paths[2], paths[0]])] == ["pgs_main_table", "00_quickstart"]  # as given
    text = write_report(paths, tmp_path / "report.md").read_text()
    assert text.index("## Claims scoreboard") < text.index("## Quick start") < text.index("## PGS")
