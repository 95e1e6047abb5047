"""The report in the browser it will be read in: headless system Chromium renders the HTML with
every image loaded and at one scale (screenshot kept for CI), and prints the PDF."""

from __future__ import annotations

import pytest

from analysis import cli

pytestmark = pytest.mark.xdist_group("browser")


@pytest.fixture(scope="module")
def report_dir(store, tmp_path_factory):
    from analysis import report

    out = tmp_path_factory.mktemp("report-browser")
    report.write_report(store, out_dir=out, formats=("png",))
    return out


def test_report_renders_with_no_broken_images(chromium, report_dir, artifacts):
    ctx = chromium.new_context(viewport={"width": 1300, "height": 1000})
    page = ctx.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto((report_dir / "report.html").as_uri())
    page.wait_for_load_state("load")
    images = page.eval_on_selector_all(
        "img", "els => els.map(e => ({ok: e.complete && e.naturalWidth > 0, shown: e.clientWidth, "
               "natural: e.naturalWidth, alt: e.alt}))")
    assert len(images) >= 10
    assert all(i["ok"] for i in images), [i["alt"] for i in images if not i["ok"]]
    # one scale for every figure: single- and double-column text shows at the same size
    scales = [i["shown"] / i["natural"] for i in images]
    assert max(scales) / min(scales) == pytest.approx(1.0, abs=0.01)
    assert page.locator("table.matrix td.good").count() > 0  # the coloured matrix
    assert not errors, errors
    page.screenshot(path=str(artifacts / "report.png"), full_page=True)
    ctx.close()


def test_report_pdf_is_printed_by_chromium(store, tmp_path, capsys):
    from pypdf import PdfReader

    out = tmp_path / "r"
    assert cli.main(["report", "--store", str(store), "--out", str(out), "--formats", "png", "--pdf"]) == 0
    pdf = out / "report.pdf"
    assert "report.pdf" in capsys.readouterr().out
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]
    reader = PdfReader(str(pdf))
    assert len(reader.pages) >= 3
    text = reader.pages[0].extract_text()
    assert "Summary" in text and "Pay reform" in text


def test_pdf_without_chromium_is_one_clear_error(store, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GOVSIM_CHROMIUM", str(tmp_path / "no-such-chromium"))
    assert cli.main(["report", "--store", str(store), "--out", str(tmp_path / "r"), "--pdf"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "GOVSIM_CHROMIUM" in err
    assert not (tmp_path / "r").exists()  # nothing written
