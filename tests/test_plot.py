"""Tests for `ledger.plot` and ``ledger plot``: charts drawn to PNG and SVG files."""

import importlib.util
import os
import struct
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger import Ledger, Quantity, cli
from ledger.errors import ChartError, MissingExtraError, UnknownReferenceError
from ledger.plot import INSTALL_HINT, available, plot_subject, render, subject_chart

ROOT = Path(__file__).resolve().parent.parent
DAY7 = ROOT / "examples" / "day7.jsonl"
KILLED = "casualties.russia.military.killed"
DAY7_SOURCES = ("Russian Defence Ministry", "Ukrainian presidential adviser")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SVG_NS = "{http://www.w3.org/2000/svg}"

if not available():
    if os.environ.get("CI"):
        pytest.fail(f"CI runs the plot tests: {INSTALL_HINT}", pytrace=False)
    pytest.skip(f"matplotlib is not installed ({INSTALL_HINT})", allow_module_level=True)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A ledger imported from the benchmarks' seeded generator (300 records)."""
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate"] = module
    spec.loader.exec_module(module)
    base = tmp_path_factory.mktemp("generated")
    records = module.generate(base / "records.jsonl", 300, seed=7)
    path = base / "generated.db"
    with Ledger.open(path) as ledger:
        ledger.import_records(records.path)
    return path


def run(*args):
    return CliRunner().invoke(cli.cli, [str(a) for a in args])


def png_size(data):
    assert data.startswith(PNG_MAGIC)
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def svg_texts(data):
    root = ET.fromstring(data)  # noqa: S314 - our own output
    assert root.tag == f"{SVG_NS}svg"
    return {"".join(t.itertext()).strip() for t in root.iter(f"{SVG_NS}text")}


def names_all(sources, texts):
    """Whether every source is named in one of *texts* (a marker's entry says who made it)."""
    return all(any(source in text for text in texts) for source in sources)


def legend_texts(figure):
    (legend,) = figure.legends
    return [t.get_text() for t in legend.get_texts()]


def test_day7_plots_to_png_with_every_source_in_the_legend(day7_file, tmp_path):
    """The day-7 toll is a real PNG of a readable size, each source named in its legend."""
    out = tmp_path / "toll.png"
    with Ledger.open(day7_file) as ledger:
        figure = plot_subject(ledger, KILLED, out, at="2022-03-02")
    data = out.read_bytes()
    width, height = png_size(data)
    assert width >= 800
    assert height >= 400
    assert len(data) > 10_000
    texts = legend_texts(figure)
    for source in DAY7_SOURCES:
        assert source in texts
    assert "rebuttal by Ukrainian presidential adviser" in texts


def test_day7_plots_to_svg_with_text_kept_as_text(day7_file, tmp_path):
    """The SVG is well-formed, and the legend's source names are text in it, not paths."""
    out = tmp_path / "toll.svg"
    result = run("plot", day7_file, KILLED, "-o", out, "--at", "2022-03-02")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote {out}\n"
    data = out.read_bytes()
    assert len(data) > 5_000
    texts = svg_texts(data)
    for source in DAY7_SOURCES:
        assert source in texts
    assert f"{KILLED} (as stated by 2022-03-02)" in texts


def test_every_day7_subject_plots(day7_file):
    """Every subject of the day-7 example, labels and quantities alike, draws with its sources."""
    with Ledger.open(day7_file) as ledger:
        for subject in ledger.store.subjects():
            chart = subject_chart(ledger, subject)
            texts = svg_texts(render(chart, "svg"))
            assert names_all(chart.sources, texts), subject


def test_the_same_chart_gives_the_same_bytes(day7_file):
    """SVG output carries no date or random ids: drawing twice gives the same file."""
    with Ledger.open(day7_file) as ledger:
        chart = subject_chart(ledger, KILLED)
    assert render(chart, "svg") == render(chart, "svg")


def test_generated_ledger_plots_its_busiest_subjects(generated, tmp_path):
    """On a generated ledger, the busiest number and the busiest label draw with every source."""
    with Ledger.open(generated) as ledger:
        counts = {s: sum(1 for _ in ledger.store.read_subject(s)) for s in ledger.store.subjects()}
        numbers = max(
            (s for s in counts if not s.startswith(("control.", "talks."))), key=counts.get
        )
        labels = max((s for s in counts if s.startswith(("control.", "talks."))), key=counts.get)
        for subject, suffix in ((numbers, "png"), (labels, "svg")):
            out = tmp_path / f"{subject}.{suffix}"
            figure = plot_subject(ledger, subject, out)
            chart = subject_chart(ledger, subject)
            assert len(chart.series) >= 2
            assert chart.markers
            texts = legend_texts(figure)
            for source in chart.sources:
                assert any(source in t for t in texts), (subject, source)
            data = out.read_bytes()
            if suffix == "png":
                assert png_size(data) >= (800, 400)
            else:
                assert names_all(chart.sources, svg_texts(data))


@pytest.mark.parametrize("name", ["toll.gif", "toll", "toll.svg.txt"])
def test_an_unknown_extension_is_refused_before_drawing(day7_file, tmp_path, name):
    """A file name that is neither .png nor .svg is one clear error, and nothing is written."""
    out = tmp_path / name
    result = run("plot", day7_file, KILLED, "-o", out)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {out}: cannot tell the image type")
    assert "end the file name in .png or .svg" in result.stderr
    assert result.stderr.count("\n") == 1
    assert not out.exists()
    with Ledger.open(day7_file) as ledger:
        chart = subject_chart(ledger, KILLED)
    with pytest.raises(ChartError, match="cannot draw a 'gif' image; the types are png, svg"):
        render(chart, "gif")


def test_an_unknown_subject_is_a_clear_error(day7_file, tmp_path):
    """A subject the ledger does not hold is named in a one-line error."""
    result = run("plot", day7_file, "casualties.nowhere", "-o", tmp_path / "x.png")
    assert result.exit_code == 2
    assert result.stderr == "Error: 'casualties.nowhere' is not a subject in the ledger\n"
    with Ledger.open(day7_file) as ledger, pytest.raises(UnknownReferenceError):
        subject_chart(ledger, "ru-mod-killed")  # a record id is not a subject


def test_known_at_and_at_apply_as_in_state(day7_file, tmp_path):
    """--at before day 7 and --known-at before the import both leave nothing to plot."""
    for option, when in (("--at", "2022-03-01"), ("--known-at", "2000-01-01")):
        result = run("plot", day7_file, KILLED, "-o", tmp_path / "x.svg", option, when)
        assert result.exit_code == 2
        assert "nothing to plot" in result.stderr
    assert not (tmp_path / "x.svg").exists()


def test_without_matplotlib_the_error_says_how_to_get_it(day7_file, tmp_path, monkeypatch):
    """With matplotlib missing, plotting is one line that names the extra to install."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert not available()
    result = run("plot", day7_file, KILLED, "-o", tmp_path / "x.png")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: plotting needs matplotlib, which is not installed; "
        "install it with: pip install 'ledger[plot]'\n"
    )
    with Ledger.open(day7_file) as ledger, pytest.raises(MissingExtraError):
        plot_subject(ledger, KILLED, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def busy_ledger():
    """The day-7 toll and Kherson after weeks of revisions, retractions and corrections."""
    ledger = Ledger.memory()
    ledger.import_records(DAY7)
    people = "people"
    ledger.revise("ru-mod-killed", Quantity(amount=1351, unit=people), stated_at="2022-03-25")
    ledger.revise(
        "ua-adviser-killed",
        Quantity(amount=9000, qualifier="more_than", unit=people),
        stated_at="2022-03-05",
    )
    ledger.claim(
        KILLED,
        Quantity(amount=3000, qualifier="range", high=6000, unit=people),
        source="US officials",
        stated_at="2022-03-10",
        id="us",
    )
    ledger.corroborate("us", source="UK intelligence", stated_at="2022-03-12")
    ledger.claim(
        KILLED,
        Quantity(amount=5000, qualifier="at_most", unit=people),
        source="Observer",
        stated_at="2022-03",
        id="obs",
    )
    ledger.retract("obs", stated_at="2022-03-28")
    ledger.correct("obs", note="misread", value=Quantity(amount=4000, qualifier="at_most"))
    ledger.claim(KILLED, "hundreds", source="Local paper", stated_at="2022-03-04", id="paper")
    ledger.revise("paper", Quantity(amount=800, unit=people), stated_at="2022-03-06")
    ledger.claim("control.kherson", "ukraine", source="Ukraine", stated_at="2022-03-01", id="ua")
    ledger.rebut("ru-kherson", source="Ukraine", stated_at="2022-03-03")
    ledger.revise("ru-kherson", "contested", stated_at="2022-03-10")
    ledger.revise("ru-kherson", "contested", stated_at="2022-03-12")
    return ledger


@pytest.mark.parametrize("subject", [KILLED, "control.kherson"])
def test_every_kind_of_change_draws(tmp_path, subject):
    """Revisions, ranges, open bands, retractions, corrections, labels turned numbers: all drawn."""
    ledger = busy_ledger()
    chart = subject_chart(ledger, subject)
    figure = plot_subject(ledger, subject, tmp_path / "busy.png")
    assert names_all(chart.sources, legend_texts(figure))
    assert png_size((tmp_path / "busy.png").read_bytes()) >= (800, 400)
    kinds = {m.kind for m in chart.markers}
    if subject == KILLED:
        assert kinds == {"rebuttal", "corroboration", "retraction", "correction"}
        assert len(figure.axes) == 2  # the value axis, and a row for the label "hundreds"
        assert "correction by the ledger" in legend_texts(figure)
    else:
        assert len(figure.axes) == 1


def test_an_unwritable_image_is_one_clear_error(day7_file, tmp_path):
    """A folder that does not exist is reported with the path, in one line."""
    out = tmp_path / "missing" / "toll.svg"
    result = run("plot", day7_file, KILLED, "-o", out)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {out}: cannot write: No such file or directory\n"


def test_the_title_says_which_cutoffs_were_applied(day7_file, tmp_path):
    """The chart's title names --at and --known-at when given."""
    out = tmp_path / "toll.svg"
    result = run("plot", day7_file, KILLED, "-o", out, "--at", "2022-03-05", "--known-at", "9000")
    assert result.exit_code == 0, result.output
    title = f"{KILLED} (as stated by 2022-03-05, as recorded by 9000)"
    assert title in svg_texts(out.read_bytes())
