"""The day-7 article, encoded by hand in examples/day7.jsonl, and the answers it supports."""

from decimal import Decimal
from pathlib import Path

import pytest

from ledger import Ledger
from ledger.codec import loads_exact
from ledger.values import Label, Qualifier, Quantity

DAY7 = Path(__file__).parent.parent / "examples" / "day7.jsonl"
ARTICLE = Path(__file__).resolve().parents[2] / "shared/seeds/day7-article.txt"
KILLED = "casualties.russia.military.killed"
CITATION = "day7-article (2022-03-03)"


def people(amount, qualifier=Qualifier.EXACT):
    return Quantity(amount=amount, qualifier=qualifier, unit="people")


@pytest.fixture(scope="module")
def records():
    """The file's records, as plain objects."""
    lines = DAY7.read_text(encoding="utf-8").splitlines()
    return [loads_exact(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def ledger():
    """A memory ledger holding the file (read-only in these tests)."""
    ledger = Ledger.memory()
    summary = ledger.import_records(DAY7)
    assert (summary.records, summary.imported, summary.events) == (16, 16, 17)
    return ledger


@pytest.fixture(scope="module")
def day7(ledger):
    """The state on 2022-03-02, day 7."""
    return ledger.state(at="2022-03-02")


def test_the_death_toll_is_contested(day7):
    """The Defence Ministry's about 498 and the adviser's more than 7,000 contest the toll."""
    killed = day7[KILLED]
    assert killed.status == "contested"
    assert [c.id for c in killed.claims] == ["ru-mod-killed", "ua-adviser-killed.counter"]
    mod = killed.claim("ru-mod-killed")
    assert mod.source == "Russian Defence Ministry"
    assert mod.value == people(498, Qualifier.APPROXIMATELY)
    adviser = killed.claim("ua-adviser-killed.counter")
    assert adviser.source == "Ukrainian presidential adviser"
    assert adviser.value == people(7000, Qualifier.MORE_THAN)


def test_the_ministry_claim_is_disputed_by_the_adviser(day7):
    """The ministry's claim is disputed: the adviser's rebuttal and counter-claim are in force."""
    mod = day7[KILLED].claim("ru-mod-killed")
    assert mod.status == "disputed"
    (rebuttal,) = mod.rebutted_by
    assert rebuttal.id == "ua-adviser-killed"
    assert rebuttal.source == "Ukrainian presidential adviser"
    assert rebuttal.counter_claim == "ua-adviser-killed.counter"
    assert rebuttal.in_force
    assert day7[KILLED].claim("ua-adviser-killed.counter").status == "unverified"


def test_the_spread_of_the_death_toll(day7):
    """The spread runs from 448.2 (498 less ten per cent) and has no upper bound."""
    killed = day7[KILLED]
    assert killed.low == Decimal("448.2")
    assert killed.high is None


def test_russia_claims_kherson(day7):
    """Kherson is claimed by Russia alone, unrebutted and uncorroborated."""
    kherson = day7["control.kherson"]
    assert kherson.status == "single_source"
    (claim,) = kherson.claims
    assert (claim.id, claim.source, claim.value) == ("ru-kherson", "Russia", Label("russia"))
    assert (claim.rebutted_by, claim.corroborated_by) == ((), ())


def test_the_second_round_of_talks_is_scheduled(day7):
    """The second round of talks is scheduled, for 2022-03-03."""
    (status,) = day7["talks.round2.status"].claims
    assert status.value == Label("scheduled")
    assert day7["talks.round2.status"].status == "single_source"
    (date,) = day7["talks.round2.date"].claims
    assert date.value == Label("2022-03-03")


def test_the_civilian_toll(day7):
    """More than 2,000 civilians were reported killed, on a single unattributed source."""
    civilians = day7["casualties.ukraine.civilians.killed"]
    assert civilians.status == "single_source"
    (claim,) = civilians.claims
    assert claim.value == people(2000, Qualifier.MORE_THAN)
    assert claim.source == "unattributed reports"


def test_the_incalculable_losses_stand_rebutted(day7):
    """The incalculable-losses reports stand rebutted by the Defence Ministry, without a counter."""
    (claim,) = day7["casualties.russia.military.losses"].claims
    assert claim.status == "disputed"
    (rebuttal,) = claim.rebutted_by
    assert (rebuttal.source, rebuttal.counter_claim) == ("Russian Defence Ministry", None)


def test_other_single_source_answers(day7):
    """The other figures of the day stand as the README lists them."""
    expected = {
        "casualties.russia.military.wounded": people(1597),
        "casualties.ukraine.military.killed": people(2870, Qualifier.MORE_THAN),
        "casualties.ukraine.military.wounded": people(3700, Qualifier.APPROXIMATELY),
        "casualties.kharkiv.killed": people(21, Qualifier.APPROXIMATELY),
        "casualties.kharkiv.wounded": people(112),
        "casualties.russia.military.captured": Label("many"),
        "attacks.kharkiv": Label("heavy bombing"),
        "attacks.kyiv": Label("heavy attack"),
    }
    for subject, value in expected.items():
        (claim,) = day7[subject].claims
        assert (subject, claim.value) == (subject, value)
        assert day7[subject].status == "single_source"


def test_nothing_is_known_before_day7(ledger):
    """On 2022-03-01, and within 2022-03-02, the ledger knows none of the records."""
    assert ledger.state(at="2022-03-01").subjects == ()
    assert ledger.state(at="2022-03-02T12:00Z").subjects == ()


def test_later_days_give_the_same_answers(ledger, day7):
    """Nothing is revised or retracted, so any later date gives the day-7 answers."""
    assert ledger.state(at="2022-03-10").subjects == day7.subjects
    assert ledger.state().subjects == day7.subjects


def test_history_lists_claim_counter_claim_and_rebuttal(ledger):
    """The death toll's history is the claim, the counter-claim and the rebuttal, in that order."""
    changes = ledger.history(KILLED)
    assert [(c.kind, c.id, c.source) for c in changes] == [
        ("claim", "ru-mod-killed", "Russian Defence Ministry"),
        ("claim", "ua-adviser-killed.counter", "Ukrainian presidential adviser"),
        ("rebuttal", "ua-adviser-killed", "Ukrainian presidential adviser"),
    ]
    assert [c.value for c in changes] == [
        people(498, Qualifier.APPROXIMATELY),
        people(7000, Qualifier.MORE_THAN),
        None,
    ]
    assert changes[2].claim_id == "ru-mod-killed"
    assert changes[2].target == "ua-adviser-killed.counter"
    assert [c.stated_at for c in changes] == sorted(c.stated_at for c in changes)


@pytest.mark.skipif(not ARTICLE.exists(), reason="shared/seeds is not beside the clone")
def test_every_quote_is_in_the_article(records):
    """Every record quotes the article exactly, misspellings and all."""
    article = ARTICLE.read_text(encoding="utf-8")
    for record in records:
        assert record["quote"] in article, record["id"]


def test_every_record_cites_the_article(records):
    """Every record cites the article and carries a quote and an id."""
    assert len(records) == 16
    assert {r["citation"] for r in records} == {CITATION}
    assert all(r.get("quote") and r.get("id") for r in records)
    assert len({r["id"] for r in records}) == 16


def test_the_file_imports_again_idempotently(ledger):
    """Importing the file a second time skips every record and appends nothing."""
    head = ledger.head()
    summary = ledger.import_records(DAY7)
    assert (summary.records, summary.imported, summary.skipped, summary.events) == (16, 0, 16, 0)
    assert ledger.head() == head


def test_the_log_verifies(ledger):
    """The hash chain of the imported file holds."""
    report = ledger.verify()
    assert report.ok
    assert report.size == 17
