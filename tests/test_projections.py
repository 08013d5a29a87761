"""Replay and the contested state: properties over random valid ledgers, and rules by example."""

import contextlib
import functools
import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ledger.ledger as ledger_module
import pg
from ledger import Ledger, MemoryStore, SqliteStore
from ledger.commands import (
    AssertClaim,
    CorrectEntry,
    CorroborateClaim,
    RebutClaim,
    RetractRecord,
    ReviseClaim,
)
from ledger.events import ClaimAsserted, ClaimRetracted, ClaimRevised
from ledger.projections import replay, timeline
from ledger.projections.contested import SubjectProjection
from ledger.projections.history import FieldCorrection
from ledger.replaying import stored_timeline
from ledger.stores import PostgresStore
from ledger.times import Stamp, parse_stamp
from ledger.values import Label, Qualifier, Quantity
from strategies import append_orders, batches, cutoffs_for, ledger_commands

START = datetime(2026, 1, 1, 12, tzinfo=UTC)
KHERSON = "control.kherson"
KILLED = "casualties.russia.military.killed"
CIVILIANS = "casualties.civilians.killed"


def daily():
    """Return a fake clock that moves on by one day at every call, from 2026-01-01 noon."""
    count = itertools.count()
    return lambda: START + timedelta(days=next(count))


def recorded_by(batch: int) -> Stamp:
    """Return the day stamp by whose end the ledger had recorded batch *batch* (from 0)."""
    return Stamp.parse((START + timedelta(days=batch)).date().isoformat())


def build(groups) -> Ledger:
    """Return a memory ledger fed *groups* of commands, one `execute` (and one day) each."""
    book = Ledger.memory(clock=daily())
    for group in groups:
        book.execute(*group)
    return book


@pytest.fixture
def book():
    """An empty memory ledger on the daily clock."""
    with Ledger.memory(clock=daily()) as ledger:
        yield ledger


def value(amount, qualifier=Qualifier.EXACT, high=None):
    return Quantity(amount=amount, qualifier=qualifier, high=high)


class CountByType:
    """A user's projection: how many events of each type."""

    def initial(self):
        return {}

    def apply(self, state, stored):
        return {**state, stored.type: state.get(stored.type, 0) + 1}


class LatestValue:
    """A user's projection: each live claim's latest value, forgetting retracted claims."""

    def initial(self):
        return {}

    def apply(self, state, stored):
        event = stored.event
        match event:
            case ClaimAsserted() | ClaimRevised():
                return {**state, event.claim_id: event.value}
            case ClaimRetracted() if event.retracted_id == event.claim_id:
                return {k: v for k, v in state.items() if k != event.claim_id}
            case _:
                return state


def fold(projection, events, state=None):
    start = projection.initial() if state is None else state
    return functools.reduce(projection.apply, events, start)


# -- properties --------------------------------------------------------------------


@given(st.data())
def test_replaying_a_prefix_then_the_rest_equals_replaying_all(data):
    """For user projections and `SubjectProjection`, any split of the timeline folds alike."""
    book = build(data.draw(batches(data.draw(ledger_commands()))))
    log = timeline(book.events())
    k = data.draw(st.integers(min_value=0, max_value=len(log)))
    for projection in (CountByType(), LatestValue()):
        assert fold(projection, log[k:], fold(projection, log[:k])) == fold(projection, log)
    for subject in book.store.subjects():
        projection = SubjectProjection(subject)
        events = timeline(book.store.read_subject(subject))
        j = data.draw(st.integers(min_value=0, max_value=len(events)))
        whole = fold(projection, events)
        assert fold(projection, events[j:], fold(projection, events[:j])) == whole
        assert replay(projection, book.store.read_subject(subject)) == whole


@pytest.mark.parametrize("engine", ["memory", "sqlite", "postgres"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_log_read_back_in_order_is_its_timeline(engine, data):
    """`stored_timeline`, which reads positions first and the events back in that order,
    yields what `timeline` gives over the same events, for any ``at`` and ``known_at``;
    and `Ledger.replay` folds alike by either path."""
    if engine == "postgres":
        pg.url()  # skips, or under CI fails, without a server
    commands = data.draw(ledger_commands())
    groups = data.draw(batches(commands))
    at = data.draw(st.none() | cutoffs_for(commands))
    k = data.draw(st.none() | st.integers(min_value=0, max_value=len(groups)))
    known_at = None if k is None else recorded_by(k)
    with built(engine, groups) as book:
        expected = timeline(book.store.read(), at=at, known_at=known_at)
        size = len(
            [e for e in book.store.read() if known_at is None or e.recorded_at.known_by(known_at)]
        )
        assert list(stored_timeline(book.store, size=size, at=at)) == expected
        folded = book.replay(Collect(), at=at, known_at=known_at)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ledger_module, "_STREAMED_FROM", 0)
            assert book.replay(Collect(), at=at, known_at=known_at) == folded == expected


class Collect:
    """A projection that keeps every event it is given, in order."""

    def initial(self):
        return []

    def apply(self, state, event):
        state.append(event)
        return state


@contextlib.contextmanager
def built(engine, groups):
    """Yield a ledger on *engine* on the daily clock, fed *groups* as `build` does."""
    store = {
        "memory": lambda: MemoryStore(clock=daily()),
        "sqlite": lambda: SqliteStore(":memory:", clock=daily()),
        "postgres": lambda: PostgresStore(pg.new_url(), clock=daily()),
    }[engine]()
    with Ledger(store) as book:
        for group in groups:
            book.execute(*group)
        yield book


@given(st.data())
def test_a_cut_off_at_a_time_keeps_a_prefix_of_the_timeline(data):
    """``timeline(at=T)`` is a prefix of the whole timeline, so a fold up to T can be resumed."""
    commands = data.draw(ledger_commands())
    book = build(data.draw(batches(commands)))
    at = data.draw(cutoffs_for(commands))
    whole = timeline(book.events())
    cut = timeline(book.events(), at=at)
    assert cut == whole[: len(cut)]


@given(st.data())
def test_the_state_does_not_depend_on_the_append_order(data):
    """With distinct stated times, any valid append order gives the same state and history."""
    commands = data.draw(ledger_commands())
    first = build([[c] for c in commands])
    second = build([[c] for c in data.draw(append_orders(commands))])
    assert first.state() == second.state()
    at, valid_at = data.draw(cutoffs_for(commands)), data.draw(cutoffs_for(commands))
    assert first.state(at=at) == second.state(at=at)
    assert first.state(valid_at=valid_at) == second.state(valid_at=valid_at)
    for subject in first.store.subjects():
        assert comparable(first.history(subject)) == comparable(second.history(subject))


def test_corrections_of_a_rebuttal_and_its_counter_claim_may_come_in_either_order():
    """A rebuttal and its counter-claim share a stated time: their corrections keep append order."""
    t = [parse_stamp(f"2022-03-01T00:0{m}Z") for m in range(3)]
    fix = {"citation": "https://example.org/a"}
    claim = AssertClaim(id="c0", subject="s", value=Quantity(amount=90), source="a", stated_at=t[0])
    rebut = RebutClaim(
        id="b1", rebuts="c0", source="b", stated_at=t[1], counter_value=Quantity(amount=7)
    )
    on_counter = CorrectEntry(id="f2", corrects="b1.counter", fields=fix, note="fix")
    on_rebuttal = CorrectEntry(id="f3", corrects="b1", fields=fix, note="fix")
    first = build([[claim], [rebut], [on_counter], [on_rebuttal]])
    second = build([[claim], [rebut], [on_rebuttal], [on_counter]])
    assert first.state() == second.state()
    assert [c.id for c in first.history("s")][-2:] == ["f2", "f3"]
    assert [c.id for c in second.history("s")][-2:] == ["f3", "f2"]
    assert comparable(first.history("s")) == comparable(second.history("s"))


def comparable(changes):
    """
    Return *changes* as tuples, each run of corrections in id order.

    A rebuttal and its counter-claim share one stated time, so corrections of
    the two stand at the same place, in the order they were appended.
    """
    out, run = [], []
    for c in changes:
        entry = (c.kind, c.id, c.previous, c.value, c.stated_at, c.corrections)
        if c.kind == "correction":
            run.append(entry)
            continue
        out.extend(sorted(run, key=lambda e: e[1]))
        run = []
        out.append(entry)
    return [*out, *sorted(run, key=lambda e: e[1])]


@given(st.data())
def test_known_at_sees_exactly_the_batches_recorded_by_then(data):
    """``state(known_at=K)`` is the state of the ledger as it was on day K, at every ``at``."""
    commands = data.draw(ledger_commands())
    groups = data.draw(batches(commands))
    book = build(groups)
    k = data.draw(st.integers(min_value=0, max_value=len(groups) - 1))
    then = build(groups[: k + 1])
    known_at = recorded_by(k)
    assert book.state(known_at=known_at).subjects == then.state().subjects
    at = data.draw(cutoffs_for(commands))
    assert book.state(at=at, known_at=known_at).subjects == then.state(at=at).subjects


def claims_of(commands):
    """Return, for each record id, the claim whose stream it is filed in."""
    claim = {}
    for command in commands:
        match command:
            case AssertClaim():
                claim[command.id] = command.id
            case ReviseClaim():
                target = command.revises
                claim[command.id] = claim.get(f"{target}.counter", claim[target])
            case RebutClaim():
                claim[command.id] = claim[command.rebuts]
                claim[f"{command.id}.counter"] = f"{command.id}.counter"
            case CorroborateClaim():
                claim[command.id] = claim[command.corroborates]
            case RetractRecord():
                claim[command.id] = claim[command.retracts]
    return claim


def stated_times(commands):
    """Return each record's stated time, as last corrected."""
    times = {}
    for command in commands:
        if isinstance(command, CorrectEntry):
            times[command.corrects] = command.fields.get("stated_at", times[command.corrects])
        else:
            times[command.id] = command.stated_at
            if isinstance(command, RebutClaim):
                times[f"{command.id}.counter"] = command.stated_at
    return times


def retarget(command, kept, claim):
    """Point a command that names a record left out at that record's claim instead."""
    match command:
        case ReviseClaim() if command.revises not in kept:
            return attrs.evolve(command, revises=claim[command.id])
        case RebutClaim() if command.rebuts not in kept:
            return attrs.evolve(command, rebuts=claim[command.id])
        case CorroborateClaim() if command.corroborates not in kept:
            return attrs.evolve(command, corroborates=claim[command.id])
    return command


def stated_by(commands, at):
    """
    Return the commands a naive reader would keep at *at*, in order.

    A record is kept when its stated time, as last corrected, is known by *at*;
    a correction is kept with the record it corrects, whenever it was made. A
    record that names a revision stated after *at* names its claim instead,
    which files the same event.
    """
    times, claim = stated_times(commands), claims_of(commands)
    kept, out = set(), []
    for command in commands:
        if isinstance(command, CorrectEntry):
            if command.corrects in kept:
                out.append(command)
        elif times[command.id].known_by(at):
            kept.add(command.id)
            if isinstance(command, RebutClaim) and command.counter_value is not None:
                kept.add(f"{command.id}.counter")
            out.append(retarget(command, kept, claim))
    return out


@given(st.data())
def test_the_state_at_a_time_is_the_state_of_what_was_stated_by_then(data):
    """``state(at=T)`` equals a fresh ledger fed only the commands stated by T."""
    commands = data.draw(ledger_commands())
    at = data.draw(cutoffs_for(commands))
    book = build([[c] for c in commands])
    naive = build([[c] for c in stated_by(commands, at)])
    assert book.state(at=at).subjects == naive.state().subjects


@given(st.data())
def test_a_correction_counts_at_every_at_but_not_before_it_was_recorded(data):
    """A correction made a day later shows at every ``at``, and is hidden by ``known_at`` only."""
    commands = data.draw(ledger_commands())
    target = data.draw(st.sampled_from([c.id for c in commands if isinstance(c, AssertClaim)]))
    fix = CorrectEntry(id="late-fix", corrects=target, fields={"quote": "as read"}, note="typo")
    book = build([[c] for c in [*commands, fix]])
    before = recorded_by(len(commands) - 1)
    (stated,) = [s.event.stated_at for s in timeline(book.events()) if s.event_id == target]
    for at in (stated, data.draw(cutoffs_for(commands)), None):
        now = {s.event_id: s.event for s in timeline(book.events(), at=at)}
        then = {s.event_id: s.event for s in timeline(book.events(), at=at, known_at=before)}
        if target in now:
            assert now.keys() - then.keys() == {"late-fix"}
            assert now[target].quote == "as read"
            assert then[target].quote is None
        else:
            assert now.keys() == then.keys()
    assert book.state(known_at=before).subjects == build([[c] for c in commands]).state().subjects


@given(st.data())
def test_valid_at_keeps_one_claim_per_source_described_by_then(data):
    """With ``valid_at``, each source keeps one claim at most, its as_of known by ``valid_at``."""
    commands = data.draw(ledger_commands())
    book = build([[c] for c in commands])
    valid_at = data.draw(cutoffs_for(commands))
    for subject in book.state(valid_at=valid_at).subjects:
        sources = [c.source for c in subject.claims]
        assert len(sources) == len(set(sources))
        assert all(c.as_of.known_by(valid_at) for c in subject.claims)


# -- a user's projection through Ledger.replay -------------------------------------------


def test_a_users_projection_runs_through_ledger_replay(book):
    """`Ledger.replay` folds a plain class with ``initial`` and ``apply``, with cut-offs."""
    book.claim(KHERSON, "russia", source="Russia", stated_at="2022-03-02", id="ru")
    book.rebut("ru", source="Mayor", stated_at="2022-03-03", id="mayor", value="ukraine")
    book.revise("mayor", "russia", stated_at="2022-03-04")
    book.claim(KILLED, 498, source="Russia", stated_at="2022-03-02", id="k")
    book.retract("k", stated_at="2022-03-05")
    assert book.replay(CountByType()) == {
        "ClaimAsserted": 3,
        "ClaimRebutted": 1,
        "ClaimRevised": 1,
        "ClaimRetracted": 1,
    }
    assert book.replay(LatestValue()) == {"ru": Label("russia"), "mayor.counter": Label("russia")}
    assert book.replay(LatestValue(), at="2022-03-03") == {
        "ru": Label("russia"),
        "mayor.counter": Label("ukraine"),
        "k": Quantity(amount=498),
    }
    assert book.replay(CountByType(), known_at=recorded_by(1)) == {
        "ClaimAsserted": 2,
        "ClaimRebutted": 1,
    }


# -- claim statuses --------------------------------------------------------------------


def statuses(book, subject, **cutoffs):
    return {c.id: c.status for c in book.state(**cutoffs)[subject].claims}


def test_a_claims_status_follows_its_precedence(book):
    """``retracted`` > ``disputed`` > ``corroborated`` > ``unverified``."""
    book.claim(KILLED, 498, source="Russia", stated_at="2022-03-02", id="c")
    assert statuses(book, KILLED) == {"c": "unverified"}
    book.corroborate("c", source="RIA", stated_at="2022-03-03")
    assert statuses(book, KILLED) == {"c": "corroborated"}
    book.rebut("c", source="Ukraine", stated_at="2022-03-04", id="b")
    assert statuses(book, KILLED) == {"c": "disputed"}
    book.retract("b", stated_at="2022-03-05")
    assert statuses(book, KILLED) == {"c": "corroborated"}
    book.rebut("c", source="UN", stated_at="2022-03-06", id="b2")
    book.retract("c", stated_at="2022-03-07")
    assert statuses(book, KILLED) == {"c": "retracted"}
    assert statuses(book, KILLED, at="2022-03-06") == {"c": "disputed"}
    assert statuses(book, KILLED, at="2022-03-04") == {"c": "disputed"}
    assert statuses(book, KILLED, at="2022-03-03") == {"c": "corroborated"}


def test_a_rebuttal_stays_in_force_until_its_source_retracts_it(book):
    """Neither revising nor corroborating the claim lifts a rebuttal; its retraction does."""
    book.claim(KILLED, 498, source="Russia", stated_at="2022-03-02", id="c")
    book.rebut("c", source="Ukraine", stated_at="2022-03-03", id="b", reason="far more")
    book.revise("c", 600, stated_at="2022-03-04")
    book.corroborate("c", source="RIA", stated_at="2022-03-05")
    claim = book.state()[KILLED].claim("c")
    assert claim.status == "disputed"
    assert [(r.id, r.source, r.reason, r.in_force) for r in claim.rebutted_by] == [
        ("b", "Ukraine", "far more", True)
    ]
    book.retract("b", stated_at="2022-03-06")
    claim = book.state()[KILLED].claim("c")
    assert claim.status == "corroborated"
    assert claim.rebutted_by == ()
    assert book.state(at="2022-03-05")[KILLED].claim("c").status == "disputed"


# -- subject statuses and spread ----------------------------------------------------------


def test_a_disputed_claim_makes_its_subject_contested(book):
    """One rebutted claim, and nothing else, is enough for ``contested``."""
    book.claim(KILLED, 498, source="Russia", stated_at="2022-03-02", id="c")
    assert book.state()[KILLED].status == "single_source"
    book.rebut("c", source="Ukraine", stated_at="2022-03-03")
    assert book.state()[KILLED].status == "contested"


def test_two_live_claims_that_disagree_make_their_subject_contested(book):
    """Exact 500 and exact 700 from two sources: ``contested``, spread 500 to 700."""
    book.claim(KILLED, 500, source="Russia", stated_at="2022-03-02")
    book.claim(KILLED, 700, source="Ukraine", stated_at="2022-03-02")
    subject = book.state()[KILLED]
    assert (subject.status, subject.low, subject.high) == ("contested", 500, 700)


def test_two_sources_that_agree_make_their_subject_agreed(book):
    """Exact 500 and approximately 498 (within 10 %) agree; the spread is 448.2 to 547.8."""
    book.claim(KILLED, 500, source="Russia", stated_at="2022-03-02")
    book.claim(
        KILLED, value(498, Qualifier.APPROXIMATELY), source="Ukraine", stated_at="2022-03-02"
    )
    subject = book.state()[KILLED]
    assert subject.status == "agreed"
    assert subject.low == Decimal("448.2")
    assert subject.high == Decimal("547.8")


def test_two_claims_of_one_source_are_a_single_source(book):
    """Agreement needs two sources; two agreeing claims of one source are ``single_source``."""
    book.claim(KILLED, 500, source="Russia", stated_at="2022-03-02")
    book.claim(KILLED, value(490, Qualifier.AT_LEAST), source="Russia", stated_at="2022-03-03")
    assert book.state()[KILLED].status == "single_source"


def test_a_subject_whose_claims_are_all_retracted_is_withdrawn(book):
    """All claims retracted: ``withdrawn``, no spread, the claims still listed."""
    book.claim(KILLED, 500, source="Russia", stated_at="2022-03-02", id="a")
    book.claim(KILLED, 700, source="Ukraine", stated_at="2022-03-02", id="b")
    book.retract("a", stated_at="2022-03-03")
    assert book.state()[KILLED].status == "single_source"
    book.retract("b", stated_at="2022-03-04")
    subject = book.state()[KILLED]
    assert (subject.status, subject.low, subject.high) == ("withdrawn", None, None)
    assert [c.status for c in subject.claims] == ["retracted", "retracted"]


def test_an_unbounded_claim_leaves_its_end_of_the_spread_open(book):
    """``more_than 7000`` has no high end, so the subject's high is ``None``."""
    book.claim(KILLED, value(498, Qualifier.APPROXIMATELY), source="Russia", stated_at="2022-03-02")
    book.rebut(
        book.state()[KILLED].claims[0].id,
        source="Ukraine",
        stated_at="2022-03-02",
        value=value(7000, Qualifier.MORE_THAN),
    )
    subject = book.state()[KILLED]
    assert (subject.status, subject.low, subject.high) == ("contested", Decimal("448.2"), None)
    book.claim(KILLED, value(10, Qualifier.FEWER_THAN), source="UN", stated_at="2022-03-03")
    assert (book.state()[KILLED].low, book.state()[KILLED].high) == (None, None)


def test_a_retracted_claim_leaves_the_spread(book):
    """The spread covers live claims only."""
    book.claim(KILLED, 500, source="Russia", stated_at="2022-03-02")
    book.claim(KILLED, 9000, source="Ukraine", stated_at="2022-03-02", id="u")
    book.retract("u", stated_at="2022-03-03")
    subject = book.state()[KILLED]
    assert (subject.low, subject.high) == (500, 500)


def test_labels_have_no_spread(book):
    """A subject of labels has ``low`` and ``high`` of ``None``; labels agree case-folded."""
    book.claim(KHERSON, "russia", source="Russia", stated_at="2022-03-02")
    book.claim(KHERSON, "Russia ", source="RIA", stated_at="2022-03-02")
    subject = book.state()[KHERSON]
    assert (subject.status, subject.low, subject.high) == ("agreed", None, None)


# -- counter-claims ---------------------------------------------------------------------


@pytest.fixture
def mayor(book):
    """Russia says it holds Kherson; the mayor rebuts it with a counter-claim: Ukraine does."""
    book.claim(KHERSON, "russia", source="Russia", stated_at="2022-03-02", id="ru")
    book.rebut("ru", source="Kherson mayor", stated_at="2022-03-02T18:00Z", id="m", value="ukraine")
    return book


def test_a_counter_claim_lapses_its_rebuttal_when_revised(mayor):
    """When the mayor revises the counter-claim to ``russia``, the Russian claim is undisputed."""
    assert mayor.state()[KHERSON].status == "contested"
    assert statuses(mayor, KHERSON) == {"ru": "disputed", "m.counter": "unverified"}
    mayor.revise("m", "russia", stated_at="2022-03-03")
    subject = mayor.state()[KHERSON]
    assert subject.status == "agreed"
    assert statuses(mayor, KHERSON) == {"ru": "unverified", "m.counter": "unverified"}
    assert subject.claim("m.counter").value == Label("russia")
    assert mayor.state(at="2022-03-02")[KHERSON].status == "contested"


def test_a_counter_claim_lapses_its_rebuttal_when_retracted(mayor):
    """When the mayor retracts the counter-claim, the rebuttal lapses with it."""
    mayor.retract("m.counter", stated_at="2022-03-03")
    assert statuses(mayor, KHERSON) == {"ru": "unverified", "m.counter": "retracted"}
    assert mayor.state()[KHERSON].status == "single_source"


def test_a_rebuttal_without_a_counter_claim_does_not_lapse(book):
    """Only a counter-claim's own revision lapses a rebuttal; the rebutter's other claims do not."""
    book.claim(KHERSON, "russia", source="Russia", stated_at="2022-03-02", id="ru")
    book.rebut("ru", source="Kherson mayor", stated_at="2022-03-02T18:00Z", id="m")
    book.claim(KHERSON, "ukraine", source="Kherson mayor", stated_at="2022-03-03", id="own")
    book.revise("own", "russia", stated_at="2022-03-04")
    assert statuses(book, KHERSON) == {"ru": "disputed", "own": "unverified"}


# -- revisions --------------------------------------------------------------------------


def test_retracting_a_revision_reverts_the_value(book):
    """A claim's value is its latest version that was not retracted; revisions count likewise."""
    book.claim(KILLED, 498, source="Russia", stated_at="2022-03-02", id="c")
    book.revise("c", 600, stated_at="2022-03-04", id="r1")
    book.revise("c", 650, stated_at="2022-03-06", id="r2")

    def now(**cutoffs):
        claim = book.state(**cutoffs)[KILLED].claim("c")
        return claim.value.amount, claim.revisions, str(claim.stated_at)

    assert now() == (650, 2, "2022-03-06")
    book.retract("r2", stated_at="2022-03-07")
    assert now() == (600, 1, "2022-03-04")
    assert now(at="2022-03-06") == (650, 2, "2022-03-06")
    assert now(at="2022-03-05") == (600, 1, "2022-03-04")
    book.revise("c", 700, stated_at="2022-03-08", id="r3")
    book.retract("r1", stated_at="2022-03-09")
    assert now() == (700, 1, "2022-03-08")
    book.retract("r3", stated_at="2022-03-10")
    assert now() == (498, 0, "2022-03-02")


def test_revisions_apply_in_stated_order_not_recorded_order(book):
    """A revision recorded late but stated early is overtaken by one stated later."""
    book.claim(KILLED, 498, source="Russia", stated_at="2022-03-02", id="c")
    book.revise("c", 650, stated_at="2022-03-06")
    book.revise("c", 600, stated_at="2022-03-04")
    assert book.state()[KILLED].claim("c").value == Quantity(amount=650)
    assert book.state(at="2022-03-05")[KILLED].claim("c").value == Quantity(amount=600)


def test_a_revision_within_the_day_of_its_claim_is_replayed_after_it(book):
    """A claim stated as a day sorts after 10:00 that day, yet its revision is replayed after it."""
    book.claim(KILLED, 498, source="Russia", stated_at="2022-03-05", id="c")
    book.revise("c", 600, stated_at="2022-03-05T10:00Z", id="r")
    assert [s.event_id for s in timeline(book.events())] == ["c", "r"]
    assert book.state()[KILLED].claim("c").value == Quantity(amount=600)
    assert KILLED not in book.state(at="2022-03-05T10:00Z")
    assert book.state(at="2022-03-05")[KILLED].claim("c").value == Quantity(amount=600)


# -- valid_at ---------------------------------------------------------------------------


def test_a_count_published_later_answers_for_the_day_it_describes(book):
    """A count published 03-20 for 03-19 answers ``valid_at=03-19`` from ``at=03-25`` on only."""
    book.claim(CIVILIANS, 400, source="UN", stated_at="2022-03-20", as_of="2022-03-19", id="n")
    state = book.state(at="2022-03-25", valid_at="2022-03-19")
    assert state[CIVILIANS].claim("n").value == Quantity(amount=400)
    assert CIVILIANS not in book.state(at="2022-03-19", valid_at="2022-03-19")
    assert CIVILIANS not in book.state(valid_at="2022-03-18")


def test_valid_at_keeps_each_sources_claim_with_the_latest_as_of(book):
    """Each source's latest word about ``valid_at``: the claim whose value has the latest as_of."""
    book.claim(CIVILIANS, 300, source="UN", stated_at="2022-03-10", id="old")
    book.claim(CIVILIANS, 400, source="UN", stated_at="2022-03-20", as_of="2022-03-19", id="new")
    book.claim(CIVILIANS, 350, source="Ukraine", stated_at="2022-03-12", id="ua")
    by_source = {c.source: c.id for c in book.state(valid_at="2022-03-19")[CIVILIANS].claims}
    assert by_source == {"UN": "new", "Ukraine": "ua"}
    assert [c.id for c in book.state(valid_at="2022-03-11")[CIVILIANS].claims] == ["old"]
    assert [c.id for c in book.state(valid_at="2022-03-18")[CIVILIANS].claims] == ["old", "ua"]


def test_valid_at_keeps_the_later_of_a_sources_claims_with_the_same_as_of(book):
    """Two claims of one source about the same day: the one replayed later is its word."""
    book.claim(CIVILIANS, 300, source="UN", stated_at="2022-03-10", id="first")
    book.claim(CIVILIANS, 320, source="UN", stated_at="2022-03-10", id="second")
    for state in (book.state(valid_at="2022-03-10"), book.replayed_state(valid_at="2022-03-10")):
        assert [c.id for c in state[CIVILIANS].claims] == ["second"]


def test_valid_at_picks_the_latest_version_known_by_then(book):
    """A revision describing a later day does not answer for an earlier one."""
    book.claim(CIVILIANS, 300, source="UN", stated_at="2022-03-10", id="c")
    book.revise("c", 400, stated_at="2022-03-20", as_of="2022-03-19")
    assert book.state(valid_at="2022-03-15")[CIVILIANS].claim("c").value == Quantity(amount=300)
    assert book.state(valid_at="2022-03-19")[CIVILIANS].claim("c").value == Quantity(amount=400)


def test_valid_at_passes_over_a_retracted_claim(book):
    """A retracted claim is no source's latest word: its earlier live claim answers instead."""
    book.claim(CIVILIANS, 300, source="UN", stated_at="2022-03-10", id="old")
    book.claim(CIVILIANS, 400, source="UN", stated_at="2022-03-20", id="new")
    book.retract("new", stated_at="2022-03-21")
    subject = book.state(valid_at="2022-03-25")[CIVILIANS]
    assert subject.status == "single_source"
    assert subject.claim("old").status == "unverified"


# -- corrections --------------------------------------------------------------------------


def test_a_correction_applies_at_every_at(book):
    """A value corrected a month later reads corrected at an ``at`` before the correction."""
    book.claim(KILLED, 498, source="Russia", stated_at="2022-03-02", id="c")
    book.claim(KILLED, 600, source="Ukraine", stated_at="2022-04-01", id="later")
    book.correct("c", note="typed 498 for 489", value=489)
    assert book.state(at="2022-03-02")[KILLED].claim("c").value == Quantity(amount=489)
    assert book.state(at="2022-03-02", known_at=recorded_by(1))[KILLED].claim(
        "c"
    ).value == Quantity(amount=498)
    assert book.state(known_at=recorded_by(2))[KILLED].claim("c").value == Quantity(amount=489)


def test_a_correction_recorded_after_known_at_is_invisible_to_it(book):
    """``known_at`` before the correction's day shows the value as first entered."""
    book.claim(KILLED, 498, source="Russia", stated_at="2022-03-02", id="c")
    book.claim(KILLED, 500, source="Ukraine", stated_at="2022-03-02")
    book.correct("c", note="typo", value=value(7000, Qualifier.MORE_THAN))
    assert book.state(known_at=recorded_by(1))[KILLED].status == "contested"
    assert book.state(known_at=recorded_by(1))[KILLED].claim("c").value == Quantity(amount=498)
    assert book.state()[KILLED].claim("c").value == value(7000, Qualifier.MORE_THAN)
    assert KILLED not in book.state(known_at="2025-12-31")


def test_correcting_stated_at_moves_the_record_in_time(book):
    """A claim entered as 03-10 but corrected to 03-02 counts from 03-02 on; as_of follows."""
    book.claim(KILLED, 498, source="Russia", stated_at="2022-03-10", id="c")
    assert KILLED not in book.state(at="2022-03-05")
    book.correct("c", note="wrong date", stated_at="2022-03-02")
    claim = book.state(at="2022-03-05")[KILLED].claim("c")
    assert (claim.stated_at, claim.as_of) == (parse_stamp("2022-03-02"), parse_stamp("2022-03-02"))
    assert KILLED not in book.state(at="2022-03-05", known_at=recorded_by(0))


def test_correcting_a_claim_later_than_its_revision_replays_the_revision_after_it(book):
    """A record is never replayed before its target, whatever a correction says."""
    book.claim(KILLED, 498, source="Russia", stated_at="2022-03-02", id="c")
    book.revise("c", 600, stated_at="2022-03-04", id="r")
    book.correct("c", note="wrong date", stated_at="2022-03-06")
    assert [s.event_id for s in timeline(book.events()) if s.type != "EntryCorrected"] == [
        "c",
        "r",
    ]
    assert book.state()[KILLED].claim("c").value == Quantity(amount=600)
    assert KILLED not in book.state(at="2022-03-05")


def test_the_latest_correction_of_a_field_wins(book):
    """Correcting the original twice: the second correction's value stands."""
    book.claim(KILLED, 498, source="Russia", stated_at="2022-03-02", id="c")
    book.correct("c", note="typo", value=489)
    book.correct("c", note="typo again", value=499)
    assert book.state()[KILLED].claim("c").value == Quantity(amount=499)


# -- subjects ---------------------------------------------------------------------------


def test_subjects_may_be_chosen_by_glob(book):
    """``subjects="casualties.*"`` keeps the casualty subjects, sorted, and nothing else."""
    book.claim(KILLED, 498, source="Russia", stated_at="2022-03-02")
    book.claim(CIVILIANS, 400, source="UN", stated_at="2022-03-02")
    book.claim(KHERSON, "russia", source="Russia", stated_at="2022-03-02")
    assert [s.subject for s in book.state(subjects="casualties.*").subjects] == [CIVILIANS, KILLED]
    assert [s.subject for s in book.state(subjects=KHERSON).subjects] == [KHERSON]
    assert book.state(subjects="talks.*").subjects == ()
    assert [s.subject for s in book.state().subjects] == [CIVILIANS, KILLED, KHERSON]


# -- history ----------------------------------------------------------------------------


@pytest.fixture
def audited(book):
    """A count revised twice (recorded out of order), corrected, rebutted, a revision withdrawn."""
    book.claim(KILLED, 100, source="Russia", stated_at="2022-03-01", id="c", citation="tass")
    book.revise("c", 150, stated_at="2022-03-04", id="r2")
    book.revise("c", 120, stated_at="2022-03-03", id="r1")
    book.correct("c", note="typed 100 for 110", value=110, id="f")
    book.rebut("c", source="Ukraine", stated_at="2022-03-05", id="b", reason="far more")
    book.retract("r2", stated_at="2022-03-06", id="x")
    return book


def entries(changes):
    return [(c.kind, c.id, c.previous, c.value) for c in changes]


def n(amount):
    return Quantity(amount=amount)


def test_history_lists_changes_in_stated_order_with_previous_and_new_values(audited):
    """Each entry shows the value before and after it, in stated order."""
    assert entries(audited.history(KILLED)) == [
        ("claim", "c", None, n(110)),
        ("correction", "f", n(110), n(110)),
        ("revision", "r1", n(110), n(120)),
        ("revision", "r2", n(120), n(150)),
        ("rebuttal", "b", n(150), None),
        ("retraction", "x", n(150), n(120)),
    ]
    changes = audited.history(KILLED)
    assert [c.seq for c in changes] == [1, 4, 3, 2, 5, 6]
    assert changes[4].source == "Ukraine"
    assert changes[4].note == "far more"
    assert changes[5].target == "r2"
    assert changes[0].citation == "tass"
    assert changes[0].recorded_at == Stamp.from_datetime(START)


def test_history_keeps_a_withdrawn_claim_withdrawn(book):
    """A revision stated after the claim's retraction does not bring the claim back."""
    book.claim(KILLED, 10, source="Russia", stated_at="2022-01-15", id="c")
    book.revise("c", 0, stated_at="2022", id="r")  # the whole year ends after February
    book.retract("c", stated_at="2022-02", id="x")
    assert entries(book.history(KILLED)) == [
        ("claim", "c", None, n(10)),
        ("retraction", "x", n(10), None),
        ("revision", "r", None, None),
    ]
    assert book.state()[KILLED].claims[0].status == "retracted"


def test_history_names_who_said_each_change(audited):
    """A revision is said by its claim's source, a retraction by its owner."""
    sources = {c.id: c.source for c in audited.history(KILLED)}
    assert sources == {
        "c": "Russia",
        "f": None,
        "r1": "Russia",
        "r2": "Russia",
        "b": "Ukraine",
        "x": "Russia",
    }


def test_a_correction_entry_shows_what_was_entered_and_what_it_became(audited):
    """A correction entry holds each field entered and corrected, and the note."""
    (entry,) = [c for c in audited.history(KILLED) if c.kind == "correction"]
    assert entry.target == "c"
    assert entry.note == "typed 100 for 110"
    assert entry.corrections == (FieldCorrection(field="value", entered=n(100), corrected=n(110)),)
    assert entry.recorded_at == Stamp.from_datetime(START + timedelta(days=3))


def test_history_since_and_until_filter_by_stated_time(audited):
    """``since`` drops changes stated before it; ``until`` drops those not known by it."""
    assert entries(audited.history(KILLED, since="2022-03-04", until="2022-03-05")) == [
        ("revision", "r2", n(120), n(150)),
        ("rebuttal", "b", n(150), None),
    ]
    assert [c.id for c in audited.history(KILLED, until="2022-03-03")] == ["c", "f", "r1"]
    assert [c.id for c in audited.history(KILLED, since="2022-03-02")] == ["r1", "r2", "b", "x"]


def test_history_known_at_hides_what_was_recorded_later(audited):
    """``known_at`` replays the history as the ledger held it then, uncorrected."""
    assert entries(audited.history(KILLED, known_at=recorded_by(1))) == [
        ("claim", "c", None, n(100)),
        ("revision", "r2", n(100), n(150)),
    ]


def test_history_by_claim_id_follows_that_claims_stream(audited):
    """The history of a record id is the history of its claim, and only of it."""
    audited.claim(KILLED, 9000, source="Ukraine", stated_at="2022-03-02", id="other")
    assert [c.id for c in audited.history("r1")] == ["c", "f", "r1", "r2", "b", "x"]
    assert [c.id for c in audited.history("other")] == ["other"]
    assert "other" in [c.id for c in audited.history(KILLED)]
