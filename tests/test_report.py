"""Tests for `ledger.report` and ``ledger report``: one self-contained HTML page."""

import os
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import browser
from ledger import Ledger, Quantity, cli
from ledger.errors import MissingExtraError
from ledger.plot import available
from ledger.report import CONTENT_SECURITY_POLICY, build_report, report_html

ROOT = Path(__file__).resolve().parent.parent
DAY7 = ROOT / "examples" / "day7.jsonl"
KILLED = "casualties.russia.military.killed"
HOSTILE = (
    "<script>alert(1)</script>",
    '"><img src=x onerror="alert(1)">',
    "</td></tr></table><h2>forged</h2>",
    "<!-- not a comment",
    "</style><style>body{display:none}</style>",
    "&amp; &lt;b&gt; & <b>bold</b>",
    "'single' \"double\" `back`",
    "https://example.org/?a=1&b=<2>",
)


class Page(HTMLParser):
    """The parsed page: its tags with their attributes, and its text."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.data = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, tuple(attrs)))

    def handle_endtag(self, tag):
        self.tags.append((f"/{tag}", ()))

    def handle_data(self, data):
        self.data.append(data)

    @property
    def text(self):
        return "".join(self.data)

    def shape(self):
        """The tags and attribute names, without the attribute values that hold ledger text."""
        return [(tag, tuple(name for name, _ in attrs)) for tag, attrs in self.tags]


@pytest.fixture(scope="module")
def day7_page(day7_file):
    with Ledger.open(day7_file) as ledger:
        return build_report(ledger, at="2022-03-02"), ledger.state(at="2022-03-02")


def run(*args):
    return CliRunner().invoke(cli.cli, [str(a) for a in args])


def hostile_ledger(text):
    """A ledger where every free-text field a source or editor fills holds *text*."""
    ledger = Ledger.memory()
    ledger.claim(
        KILLED,
        Quantity(amount=498, qualifier="approximately", unit="people"),
        source=text,
        via=text,
        stated_at="2022-03-02",
        id="c1",
        citation=text,
        quote=text,
        note=text,
    )
    ledger.rebut(
        "c1", source=f"R {text}", stated_at="2022-03-02", reason=text, citation=text, id="r1"
    )
    ledger.corroborate("c1", source=f"C {text}", stated_at="2022-03-03", citation=text, id="k1")
    ledger.claim("control.kherson", text, source=text, stated_at="2022-03-02", id="c2")
    return ledger


def hostile_page(text):
    ledger = hostile_ledger(text)
    state = ledger.state()
    histories = {s.subject: ledger.history(s.subject) for s in state.subjects}
    return report_html(state, histories, head=str(ledger.head()), title=text)


# -- structure --------------------------------------------------------------------


def test_day7_report_shows_each_subject_with_its_sources_and_history(day7_page):
    """Every subject has its section, status, a card per source and its history."""
    page_text, state = day7_page
    page = Page(page_text)
    headings = [attrs for tag, attrs in page.tags if tag == "section"]
    assert len(headings) == len(state.subjects) == 14
    for subject in state.subjects:
        assert subject.subject in page.text
        for claim in subject.claims:
            assert claim.source in page.text
    assert "Disputed by Ukrainian presidential adviser on 2022-03-02" in page.text
    assert "~498 people" in page.text
    assert ">7000 people" in page.text
    assert "History (3 changes)" in page.text  # the claim, the rebuttal and its counter-claim
    assert "As stated by 2022-03-02. 14 subjects: 2 contested, 12 single source." in page.text


def test_the_page_fetches_nothing_and_runs_nothing(day7_page):
    """No script, no external address: in-page links, data images, a CSP against the rest."""
    page_text, _ = day7_page
    page = Page(page_text)
    assert "script" not in {tag for tag, _ in page.tags}
    assert "://" not in page_text
    for _, attrs in page.tags:
        for name, value in attrs:
            if name == "href":
                assert value.startswith("#subject-")
            if name == "src":
                assert value.startswith("data:image/svg+xml;base64,")
            assert not name.startswith("on")
    policies = [
        dict(a)["content"] for t, a in page.tags if ("http-equiv", "Content-Security-Policy") in a
    ]
    assert policies == [CONTENT_SECURITY_POLICY]


def test_the_same_ledger_gives_the_same_page(day7_file, day7_page):
    """The page carries the ledger's checkpoint, not a clock: made twice, it is the same."""
    with Ledger.open(day7_file) as ledger:
        again = build_report(ledger, at="2022-03-02")
        head = str(ledger.head())
    assert again == day7_page[0]
    assert f"ledger verify DB --against {head}" in Page(again).text


@pytest.mark.skipif(not available(), reason="charts need matplotlib")
def test_charts_are_embedded_when_matplotlib_is_there(day7_page, day7_file):
    """With matplotlib, each subject has its chart as a data image; --no-charts leaves them out."""
    page_text, state = day7_page
    images = [t for t, _ in Page(page_text).tags if t == "img"]
    assert len(images) == len(state.subjects)
    with Ledger.open(day7_file) as ledger:
        bare = build_report(ledger, at="2022-03-02", charts=False)
    assert "<img" not in bare


def test_without_matplotlib_charts_are_left_out_or_asked_for(day7_file, monkeypatch):
    """Without matplotlib the page has no charts, and asking for them says how to get them."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with Ledger.open(day7_file) as ledger:
        assert "<img" not in build_report(ledger)
        with pytest.raises(MissingExtraError, match=r"pip install 'ledger\[plot\]'"):
            build_report(ledger, charts=True)


def test_an_empty_state_is_a_page_that_says_so():
    """A moment before anything was said gives a page that says there are no claims."""
    ledger = Ledger.memory()
    ledger.import_records(DAY7)
    page = Page(build_report(ledger, at="2022-03-01"))
    assert "No claims." in page.text
    assert "0 subjects" in page.text


@given(
    text=st.sampled_from(HOSTILE)
    | st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40
    ).filter(lambda t: t.strip() and t == t.strip())
)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_ledger_text_never_escapes_into_markup(text):
    """Whatever a source or note says, the page has the same tags and shows the text as text."""
    page = Page(hostile_page(text))
    assert page.shape() == Page(hostile_page("x")).shape()
    for shown in (text, f"R {text}", f"C {text}"):
        assert shown in page.text


# -- the command line -------------------------------------------------------------


def test_report_command_writes_the_page(day7_file, tmp_path):
    """ledger report writes the page and says where; --subject narrows it."""
    out = tmp_path / "report.html"
    result = run("report", day7_file, "--at", "2022-03-02", "-o", out, "--subject", "casualties.*")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote {out}\n"
    page = Page(out.read_text(encoding="utf-8"))
    assert len([t for t, _ in page.tags if t == "section"]) == 9
    assert "control.kherson" not in page.text


def test_report_command_errors_are_one_line(day7_file, tmp_path):
    """A missing ledger or an unwritable page is one line and exit 2, and creates nothing."""
    missing = run("report", tmp_path / "none.db", "-o", tmp_path / "r.html")
    assert missing.exit_code == 2
    assert missing.stderr.count("\n") == 1
    assert not (tmp_path / "none.db").exists()
    unwritable = run("report", day7_file, "-o", tmp_path / "no" / "r.html", "--no-charts")
    assert unwritable.exit_code == 2
    assert (
        unwritable.stderr
        == f"Error: {tmp_path / 'no' / 'r.html'}: cannot write: No such file or directory\n"
    )


# -- in a real browser ----------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium():
    if browser.find_chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("CI runs the browser tests: apt-get install chromium", pytrace=False)
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return browser


def test_day7_report_loads_in_chromium_without_errors(chromium, day7_page, tmp_path):
    """In headless Chromium the day-7 page loads without a console error and shows every subject."""
    page_text, state = day7_page
    path = tmp_path / "report.html"
    path.write_text(page_text, encoding="utf-8")
    seen = chromium.open_page(path)
    assert seen.errors == []
    assert seen.scripts == 0
    assert [h.split(" ")[0] for h in seen.headings] == [s.subject for s in state.subjects]
    assert all(image["complete"] and image["width"] > 0 for image in seen.images)
    assert "Ukrainian presidential adviser" in seen.text


def test_hostile_text_stays_text_in_chromium(chromium, tmp_path):
    """Markup in ledger text is shown, not run: no script, no error, each payload as written."""
    path = tmp_path / "hostile.html"
    text = " ".join(HOSTILE)
    path.write_text(hostile_page(text), encoding="utf-8")
    seen = chromium.open_page(path)
    assert seen.errors == []
    assert seen.scripts == 0
    assert seen.images == []
    assert "<script>alert(1)</script>" in seen.text
    assert [h.split(" ")[0] for h in seen.headings] == [
        "casualties.russia.military.killed",
        "control.kherson",
    ]


def test_the_browser_harness_sees_errors(chromium, tmp_path):
    """The harness itself reports a console error, an exception and a blocked fetch."""
    path = tmp_path / "broken.html"
    path.write_text(
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
        '<h2>x</h2><img src="https://example.invalid/x.png">',
        encoding="utf-8",
    )
    assert chromium.open_page(path).errors  # the policy refuses the image
    path.write_text(
        '<h2>x</h2><script>console.error("boom"); throw new Error("bang")</script>',
        encoding="utf-8",
    )
    errors = " ".join(chromium.open_page(path).errors)
    assert "boom" in errors
    assert "bang" in errors


def test_report_html_without_history_or_checkpoint():
    """The pure page takes what it is given: no history shows as such, no checkpoint is claimed."""
    ledger = Ledger.memory()
    ledger.import_records(DAY7)
    state = ledger.state(known_at="9000")
    page = Page(report_html(state, {}))
    assert page.text.count("No changes.") == len(state.subjects)
    assert "checkpoint" not in page.text
    assert "As recorded by 9000." in page.text
