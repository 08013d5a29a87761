"""
The command line: ``ledger COMMAND DB ...``.

Rules of this module:

- The database path comes first after the command, as in sqlite-utils'
  command line: ``ledger state ledger.db --at 2022-03-02``. A
  ``postgresql://`` URL in its place names a ledger on a PostgreSQL server.
- Commands that only read (``state``, ``history``, ``verify``, ``head``,
  ``export``, ``tail``) and commands that must refer to an existing record
  (``revise``, ``rebut``, ``retract``, ``corroborate``, ``correct``) never
  create a file, so a mistyped path creates nothing.
- Exit codes: 0 when all went well; 1 when a check failed (``verify``); 2 for
  bad usage or bad input. Every `ledger.errors.LedgerError` is printed as
  one line, ``Error: <message>``, on standard error, never as a traceback.
- All formatting lives in `ledger.output`; this module only parses options,
  calls `ledger.Ledger` and writes.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Final, TypeVar

import click

from ledger import __version__, codec
from ledger.backup import copy_ledger, restore_file
from ledger.errors import LedgerError, StoreError, TimeFormatError
from ledger.follow import follow_raw
from ledger.ledger import Batch, Ledger, new_id
from ledger.output import (
    HISTORY_COLUMNS,
    STATE_COLUMNS,
    event_line,
    history_json,
    history_rows,
    history_table,
    raw_event_json,
    state_json,
    state_rows,
    state_table,
)
from ledger.plot import plot_subject
from ledger.records import parse_record
from ledger.report import build_report
from ledger.stores import Head, StoredEvent, creating
from ledger.stores.postgres import display, is_url
from ledger.times import Stamp, parse_stamp
from ledger.values import Label, Number, Qualifier, Quantity, Value, number

__all__ = ["cli", "main"]

_F = TypeVar("_F", bound=Callable[..., object])

PROGRESS_BYTES: Final = 1_000_000
"""Imports of more bytes than this show a progress bar (on a terminal)."""

# What a person typing a value means as a number: digits, a point, a sign, an
# exponent. Such text is parsed exactly (and refused if out of range) rather
# than silently stored as a label; `--label` stores it as a label anyway.
_LOOKS_NUMERIC = re.compile(r"[+-]?(?=[.]?[0-9])[0-9.]+(?:[eE][+-]?[0-9]+)?", re.ASCII)
_CHECKPOINT = re.compile(r"([0-9]+):([0-9a-fA-F]{64})", re.ASCII)
_FORMATS = click.Choice(["table", "json", "csv"])
_QUALIFIERS = click.Choice([q.value for q in Qualifier])


# -- errors -------------------------------------------------------------------


class _InputError(click.ClickException):
    """A `LedgerError` on its way to the user: one line, exit status 2."""

    exit_code = 2


def _one_line(message: str) -> str:
    return " ".join(message.splitlines())


class _LedgerGroup(click.Group):
    """A group that turns every `LedgerError` into ``Error: <message>`` and exit 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except LedgerError as e:
            raise _InputError(_one_line(str(e))) from None


# -- option types ---------------------------------------------------------------


def _time(ctx: click.Context, param: click.Parameter, value: str | None) -> Stamp | None:
    """Parse a time option with `ledger.times.parse_stamp`."""
    if value is None:
        return None
    try:
        return parse_stamp(value)
    except TimeFormatError as e:
        raise click.BadParameter(str(e), ctx, param) from None


def _checkpoint(ctx: click.Context, param: click.Parameter, value: str | None) -> Head | None:
    """Parse a published checkpoint ``SIZE:HASH``, the hash as 64 hex digits."""
    if value is None:
        return None
    match = _CHECKPOINT.fullmatch(value.strip())
    if match is None:
        raise click.BadParameter(
            f"{value!r} is not a checkpoint SIZE:HASH (a count, a colon, 64 hex digits)",
            ctx,
            param,
        )
    return Head(int(match.group(1)), bytes.fromhex(match.group(2)))


def _time_option(name: str, help_text: str, *, required: bool = False) -> Callable[[_F], _F]:
    return click.option(
        name, callback=_time, metavar="TIME", required=required, help=f"{help_text} (ISO 8601)"
    )


def _database(ctx: click.Context, param: click.Parameter, value: str) -> Path | str:
    """Keep a ``postgresql://`` URL as it is (a path would fold its ``//``); a path otherwise."""
    del ctx, param
    return value if is_url(value) else Path(value)


def _db(function: _F) -> _F:
    return click.argument("db", callback=_database)(function)


def _value_options(function: _F) -> _F:
    options = (
        click.option(
            "--qualifier",
            type=_QUALIFIERS,
            help="How the number is meant (default: exact; range when --value-high is given).",
        ),
        click.option("--value-high", metavar="NUMBER", help="The high end of a range."),
        click.option("--unit", help="What the number counts, such as 'people'."),
        click.option(
            "--label",
            "as_label",
            is_flag=True,
            help="Store the value as a label even if it looks like a number.",
        ),
        _time_option("--as-of", "The time the value describes"),
    )
    for option in reversed(options):
        function = option(function)
    return function


def _text_options(*names: str) -> Callable[[_F], _F]:
    helps = {
        "source": "Who said it.",
        "via": "Who relayed it, such as a news agency.",
        "citation": "Where it was found: a URL or a document.",
        "quote": "The words as given.",
        "note": "Anything a reader should know.",
        "reason": "Why the source disputes the claim.",
    }

    def decorate(function: _F) -> _F:
        for name in reversed(names):
            function = click.option(f"--{name}", help=helps[name])(function)
        return click.option("--id", "record_id", help="The record's id (default: generated).")(
            function
        )

    return decorate


def _stated_at(*, required: bool) -> Callable[[_F], _F]:
    return _time_option("--stated-at", "When it was said", required=required)


# -- helpers ----------------------------------------------------------------------


def _number_or_text(text: str, *, as_label: bool) -> Number | str:
    if as_label or not _LOOKS_NUMERIC.fullmatch(text):
        return text
    return number(text, field="value")


def _value(
    text: str,
    *,
    as_label: bool,
    qualifier: str | None,
    value_high: str | None,
    unit: str | None,
) -> Value:
    """Build the value a person typed: a number (exact) or a label."""
    raw = _number_or_text(text, as_label=as_label)
    if isinstance(raw, str):
        _no_quantity_options(raw, qualifier, value_high, unit)
        return Label(raw)
    if qualifier is None:
        qualifier = Qualifier.RANGE.value if value_high is not None else Qualifier.EXACT.value
    return Quantity(amount=raw, qualifier=qualifier, high=value_high, unit=unit)


def _no_quantity_options(
    label: str, qualifier: str | None, value_high: str | None, unit: str | None
) -> None:
    if qualifier is not None or value_high is not None or unit is not None:
        raise click.UsageError(
            f"--qualifier, --value-high and --unit go with a number, not the label {label!r}"
        )


def _print_events(events: Iterable[StoredEvent]) -> None:
    for stored in events:
        click.echo(f"{stored.seq}  {stored.event_id}  {stored.type}")


def _csv(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def _json(data: codec.JSON) -> str:
    return codec.dumps_exact(data, indent=True).decode("utf-8")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # The import itself reports the file it cannot read.


def _stderr_is_tty() -> bool:
    return sys.stderr.isatty()


class _Progress:
    """Turn the running byte count of an import into a progress bar's steps."""

    def __init__(self, update: Callable[[int], None]) -> None:
        self._update = update
        self._done = 0

    def __call__(self, done: int) -> None:
        if done > self._done:
            self._update(done - self._done)
            self._done = done


# -- the commands -------------------------------------------------------------------


@click.group(cls=_LedgerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="ledger")
def cli() -> None:
    """
    Track contested public claims in an append-only, hash-chained ledger.

    Each command takes the ledger file first: ledger state ledger.db --at 2022-03-02
    """


@cli.command("init")
@_db
def init_command(db: Path | str) -> None:
    """
    Create an empty ledger at DB.

    An existing ledger is left as it is; any other existing file is refused.
    """
    if isinstance(db, Path):
        existed = db.exists() and db.stat().st_size > 0
    else:
        # A schema of something else fails again, loudly, just below.
        existed = False
        with contextlib.suppress(StoreError), Ledger.open(db, create=False):
            existed = True
    with Ledger.open(db) as ledger:
        size = ledger.head().size
    name = db if isinstance(db, Path) else display(db)
    if existed:
        click.echo(f"{name} is already a ledger ({size} events); left as it was.")
    else:
        click.echo(f"Created an empty ledger at {name}.")


@cli.command("import")
@_db
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def import_command(db: Path | str, files: tuple[Path, ...]) -> None:
    """
    Import records files (JSON Lines) into DB, creating it if needed.

    The files are imported as one batch: all of them or, on any error, nothing
    (and a ledger this command created for them is removed again). Records
    already in the ledger with the same content are skipped.
    """
    # A ledger this command creates is removed again if the import is refused.
    with creating(db) as store:
        ledger = Ledger(store)
        sizes = [_size(f) for f in files]
        if sum(sizes) > PROGRESS_BYTES and _stderr_is_tty():
            with click.progressbar(length=sum(sizes), label="Importing", file=sys.stderr) as bar:
                summary = ledger.import_records(*files, progress=_Progress(bar.update))
        else:
            summary = ledger.import_records(*files)
    click.echo(f"records read:     {summary.records}")
    click.echo(f"imported:         {summary.imported}")
    click.echo(f"skipped:          {summary.skipped}")
    click.echo(f"events appended:  {summary.events}")
    click.echo(f"head:             {summary.head}")


@cli.command("claim")
@_db
@click.argument("subject")
@click.argument("value")
@click.option("--source", required=True, help="Who claimed it.")
@_stated_at(required=True)
@_value_options
@_text_options("via", "citation", "quote", "note")
def claim_command(  # noqa: PLR0913 - one parameter per field of a claim
    *,
    db: Path | str,
    subject: str,
    value: str,
    source: str,
    stated_at: Stamp,
    qualifier: str | None,
    value_high: str | None,
    unit: str | None,
    as_label: bool,
    as_of: Stamp | None,
    record_id: str | None,
    via: str | None,
    citation: str | None,
    quote: str | None,
    note: str | None,
) -> None:
    """
    Record that a source claimed VALUE for SUBJECT.

    VALUE is a number (read exactly: 498, 1.5, 1e3) or else a label
    ("russia", "scheduled"); put -- before a negative number. Prints the
    stored events: seq, id, type.
    """
    claimed = _value(
        value, as_label=as_label, qualifier=qualifier, value_high=value_high, unit=unit
    )
    with creating(db) as store:
        events = Ledger(store).claim(
            subject,
            claimed,
            source=source,
            stated_at=stated_at,
            id=record_id,
            as_of=as_of,
            via=via,
            citation=citation,
            quote=quote,
            note=note,
        )
    _print_events(events)


@cli.command("revise")
@_db
@click.argument("revises")
@click.argument("value")
@_stated_at(required=True)
@_value_options
@_text_options("source", "via", "citation", "quote", "note")
def revise_command(  # noqa: PLR0913 - one parameter per field of a revision
    *,
    db: Path | str,
    revises: str,
    value: str,
    stated_at: Stamp,
    qualifier: str | None,
    value_high: str | None,
    unit: str | None,
    as_label: bool,
    as_of: Stamp | None,
    record_id: str | None,
    source: str | None,
    via: str | None,
    citation: str | None,
    quote: str | None,
    note: str | None,
) -> None:
    """
    Record that the source of claim REVISES restated it as VALUE.

    REVISES is the id of a claim, of a revision of it, or of a rebuttal whose
    counter-claim is revised.
    """
    revised = _value(
        value, as_label=as_label, qualifier=qualifier, value_high=value_high, unit=unit
    )
    with Ledger.open(db, create=False) as ledger:
        events = ledger.revise(
            revises,
            revised,
            stated_at=stated_at,
            id=record_id,
            as_of=as_of,
            source=source,
            via=via,
            citation=citation,
            quote=quote,
            note=note,
        )
    _print_events(events)


@cli.command("rebut")
@_db
@click.argument("rebuts")
@click.option("--source", required=True, help="Who disputes the claim.")
@_stated_at(required=True)
@click.option("--value", help="The rebutting source's own value (stored as a counter-claim).")
@_value_options
@_text_options("reason", "via", "citation", "quote", "note")
def rebut_command(  # noqa: PLR0913 - one parameter per field of a rebuttal
    *,
    db: Path | str,
    rebuts: str,
    source: str,
    stated_at: Stamp,
    value: str | None,
    qualifier: str | None,
    value_high: str | None,
    unit: str | None,
    as_label: bool,
    as_of: Stamp | None,
    record_id: str | None,
    reason: str | None,
    via: str | None,
    citation: str | None,
    quote: str | None,
    note: str | None,
) -> None:
    """
    Record that a source disputed claim REBUTS, optionally with a counter-value.

    With --value, the source's own value is also stored as a claim with the
    id <rebuttal id>.counter.
    """
    counter: Value | None = None
    if value is not None:
        counter = _value(
            value, as_label=as_label, qualifier=qualifier, value_high=value_high, unit=unit
        )
    elif qualifier or value_high or unit or as_label or as_of:
        raise click.UsageError(
            "--qualifier, --value-high, --unit, --label and --as-of describe --value"
        )
    with Ledger.open(db, create=False) as ledger:
        events = ledger.rebut(
            rebuts,
            source=source,
            stated_at=stated_at,
            id=record_id,
            value=counter,
            as_of=as_of,
            reason=reason,
            via=via,
            citation=citation,
            quote=quote,
            note=note,
        )
    _print_events(events)


@cli.command("retract")
@_db
@click.argument("retracts")
@_stated_at(required=True)
@_text_options("source", "via", "citation", "quote", "note")
def retract_command(  # noqa: PLR0913 - one parameter per field of a retraction
    *,
    db: Path | str,
    retracts: str,
    stated_at: Stamp,
    record_id: str | None,
    source: str | None,
    via: str | None,
    citation: str | None,
    quote: str | None,
    note: str | None,
) -> None:
    """Record that a source withdrew its claim, revision or rebuttal RETRACTS."""
    with Ledger.open(db, create=False) as ledger:
        events = ledger.retract(
            retracts,
            stated_at=stated_at,
            id=record_id,
            source=source,
            via=via,
            citation=citation,
            quote=quote,
            note=note,
        )
    _print_events(events)


@cli.command("corroborate")
@_db
@click.argument("corroborates")
@click.option("--source", required=True, help="Who confirms the claim.")
@_stated_at(required=True)
@_text_options("via", "citation", "quote", "note")
def corroborate_command(  # noqa: PLR0913 - one parameter per field of a corroboration
    *,
    db: Path | str,
    corroborates: str,
    source: str,
    stated_at: Stamp,
    record_id: str | None,
    via: str | None,
    citation: str | None,
    quote: str | None,
    note: str | None,
) -> None:
    """Record that another source confirmed claim CORROBORATES."""
    with Ledger.open(db, create=False) as ledger:
        events = ledger.corroborate(
            corroborates,
            source=source,
            stated_at=stated_at,
            id=record_id,
            via=via,
            citation=citation,
            quote=quote,
            note=note,
        )
    _print_events(events)


@cli.command("correct")
@_db
@click.argument("corrects")
@click.option("--note", required=True, help="Why the correction is made.")
@click.option("--value", help="The corrected value.")
@_value_options
@_stated_at(required=False)
@_text_options("source", "via", "citation", "quote", "reason")
def correct_command(  # noqa: PLR0913 - one parameter per correctable field
    *,
    db: Path | str,
    corrects: str,
    note: str,
    value: str | None,
    qualifier: str | None,
    value_high: str | None,
    unit: str | None,
    as_label: bool,
    as_of: Stamp | None,
    stated_at: Stamp | None,
    record_id: str | None,
    source: str | None,
    via: str | None,
    citation: str | None,
    quote: str | None,
    reason: str | None,
) -> None:
    """
    Fix the ledger's transcription of record CORRECTS.

    Give the fields to replace. As in a correction record, value parts not
    given (--qualifier, --unit) are kept from the corrected record.
    """
    record: dict[str, codec.JSON] = {
        "type": "correction",
        "id": record_id or new_id("correction"),
        "corrects": corrects,
        "note": note,
    }
    if value is not None:
        raw = _number_or_text(value, as_label=as_label)
        if isinstance(raw, str):
            _no_quantity_options(raw, qualifier, value_high, unit)
        record["value"] = raw
    elif as_label:
        raise click.UsageError("--label describes --value")
    if value_high is not None:
        record["value_high"] = number(value_high, field="value_high")
        qualifier = qualifier or Qualifier.RANGE.value
    given = {
        "qualifier": qualifier,
        "unit": unit,
        "as_of": None if as_of is None else str(as_of),
        "stated_at": None if stated_at is None else str(stated_at),
        "source": source,
        "via": via,
        "citation": citation,
        "quote": quote,
        "reason": reason,
    }
    record.update({name: text for name, text in given.items() if text is not None})
    with Ledger.open(db, create=False) as ledger:
        command = parse_record(record, Batch(ledger.store))
        events = ledger.execute(command)
    _print_events(events)


@cli.command("state")
@_db
@_time_option("--at", "Only what was stated by then")
@_time_option("--known-at", "Only what the ledger had recorded by then")
@_time_option("--valid-at", "Each source's latest word about that time")
@click.option("--subject", "pattern", help="A subject key or a glob such as 'casualties.*'.")
@click.option("--format", "fmt", type=_FORMATS, default="table", show_default=True)
def state_command(  # noqa: PLR0913 - one parameter per query option
    *,
    db: Path | str,
    at: Stamp | None,
    known_at: Stamp | None,
    valid_at: Stamp | None,
    pattern: str | None,
    fmt: str,
) -> None:
    """Show who claims what about each subject, and who disputes it."""
    with Ledger.open(db, create=False) as ledger:
        state = ledger.state(at=at, known_at=known_at, valid_at=valid_at, subjects=pattern)
    if fmt == "json":
        click.echo(_json(state_json(state)))
    elif fmt == "csv":
        click.echo(_csv(STATE_COLUMNS, state_rows(state)), nl=False)
    else:
        click.echo(state_table(state))


@cli.command("history")
@_db
@click.argument("subject_or_id")
@_time_option("--since", "Leave out changes stated wholly before this")
@_time_option("--until", "Leave out changes not known by this")
@_time_option("--known-at", "Only what the ledger had recorded by then")
@click.option("--format", "fmt", type=_FORMATS, default="table", show_default=True)
def history_command(  # noqa: PLR0913 - one parameter per query option
    *,
    db: Path | str,
    subject_or_id: str,
    since: Stamp | None,
    until: Stamp | None,
    known_at: Stamp | None,
    fmt: str,
) -> None:
    """Show every change to a subject, or to the claim holding a record id."""
    with Ledger.open(db, create=False) as ledger:
        changes = ledger.history(subject_or_id, since=since, until=until, known_at=known_at)
    if fmt == "json":
        click.echo(_json(history_json(changes, subject_or_id)))
    elif fmt == "csv":
        click.echo(_csv(HISTORY_COLUMNS, history_rows(changes)), nl=False)
    else:
        click.echo(history_table(changes, subject_or_id))


@cli.command("verify")
@_db
@click.option(
    "--against",
    callback=_checkpoint,
    metavar="SIZE:HASH",
    help="A checkpoint the log must extend.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default="the number of cores",
    help="Processes that share the walk of a long log (100,000 events or more).",
)
@click.pass_context
def verify_command(ctx: click.Context, *, db: Path | str, against: Head | None, jobs: int) -> None:
    """
    Check the hash chain; exit 1 if the log was altered.

    Prints "OK: N events, head N:HASH" or "FAILED at seq N: reason".
    """
    with Ledger.open(db, create=False) as ledger:
        report = ledger.verify(against, jobs=jobs)
    click.echo(str(report))
    if not report.ok:
        ctx.exit(1)


@cli.command("head")
@_db
def head_command(db: Path | str) -> None:
    """Print the log's checkpoint, SIZE:HASH, to publish or to verify against."""
    with Ledger.open(db, create=False) as ledger:
        click.echo(str(ledger.head()))


@cli.command("rebuild")
@_db
def rebuild_command(db: Path | str) -> None:
    """
    Recompute DB's derived tables (the spans behind fast queries) from its events alone.

    The events are not touched: the head stays the same, and so does every answer.
    An SQLite file made by an older version gets the current layout of the tables.
    """
    with Ledger.open(db, create=False) as ledger:
        streams = ledger.store.rebuild()
        click.echo(f"rebuilt the spans of {streams} claims; head {ledger.head()}")


@cli.command("export")
@_db
@click.option("--events", "raw", is_flag=True, help="Write the stored events, not records.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (default: standard output).",
)
def export_command(*, db: Path | str, raw: bool, output: Path | None) -> None:
    """
    Write the ledger as JSON Lines: records, or with --events the stored events.

    Records import back into an empty ledger with the same state and history.
    Each stored event is written with its envelope and hashes (hex).
    """
    with Ledger.open(db, create=False) as ledger, contextlib.ExitStack() as stack:
        if output is None:
            stream: IO[bytes] = sys.stdout.buffer
        else:
            try:
                stream = stack.enter_context(output.open("wb"))
            except OSError as e:
                raise _InputError(f"{output}: cannot write: {e.strerror}") from None
        if raw:
            for event in ledger.store.read_raw():
                stream.write(codec.dumps_exact(raw_event_json(event)) + b"\n")
        else:
            for record in ledger.export_records():
                stream.write(codec.dumps_exact(record) + b"\n")


@cli.command("restore")
@click.argument("db", metavar="NEW", callback=_database)
@click.argument("backup", metavar="FILE", type=click.Path(allow_dash=True, path_type=Path))
@click.option(
    "--against",
    callback=_checkpoint,
    metavar="SIZE:HASH",
    help="A checkpoint the backup must extend.",
)
def restore_command(*, db: Path | str, backup: Path, against: Head | None) -> None:
    """
    Rebuild a ledger at NEW from FILE, written by export --events ('-' reads stdin).

    NEW must not exist, or be empty. Every event must match its hash and
    follow the one before, so an altered backup is refused and nothing is
    written; the restored ledger has the original's sequence numbers,
    recorded times and hashes.
    """
    with contextlib.ExitStack() as stack:
        if str(backup) == "-":
            stream: IO[bytes] = sys.stdin.buffer
            name = "<stdin>"
        else:
            try:
                stream = stack.enter_context(backup.open("rb"))
            except OSError as e:
                raise _InputError(f"{backup}: cannot read: {e.strerror}") from None
            name = str(backup)
        head = restore_file(db, stream, name=name, against=against)
    click.echo(f"events restored:  {head.size}")
    click.echo(f"head:             {head}")


@cli.command("copy")
@click.argument("source", metavar="SRC", callback=_database)
@click.argument("target", metavar="DST", callback=_database)
def copy_command(*, source: Path | str, target: Path | str) -> None:
    """
    Copy the ledger SRC into a new ledger DST: SQLite or PostgreSQL, either way.

    Every event keeps its sequence number, recorded time and hash, so verify
    and head answer the same on both. DST must not exist, or be empty. Each
    event is checked against its hash on the way: a source that does not
    verify is refused and nothing is written.
    """
    head = copy_ledger(source, target)
    click.echo(f"events copied:    {head.size}")
    click.echo(f"head:             {head}")


@cli.command("tail")
@_db
@click.option(
    "--after",
    type=click.IntRange(min=0),
    default=0,
    metavar="SEQ",
    help="Start after this sequence number (default: from the first event).",
)
@click.option("-f", "--follow", "forever", is_flag=True, help="Keep printing new events.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def tail_command(*, db: Path | str, after: int, forever: bool, fmt: str) -> None:
    """
    Print DB's stored events after SEQ, one a line; with --follow, new ones as they come.

    Each event is printed once, in order. --format json writes the lines of
    export --events, which ledger restore reads. With --follow, it runs
    until interrupted (Ctrl-C or SIGTERM); it stops quietly with status 0
    then, and also when its reader goes away (| head). A follower killed
    midway resumes with --after, the last seq it printed.
    """
    stop = threading.Event()
    out = sys.stdout.buffer
    with Ledger.open(db, create=False) as ledger, _stopped_by_signals(stop, active=forever):
        try:
            for raw in follow_raw(ledger.store, after, wait=forever, poll=0.25, stop=stop):
                if fmt == "json":
                    out.write(codec.dumps_exact(raw_event_json(raw)) + b"\n")
                else:
                    out.write(event_line(raw).encode("utf-8") + b"\n")
                if forever:
                    out.flush()
            out.flush()
        except BrokenPipeError:
            # The reader went away: nothing is left to say to it, or about it.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)


@contextlib.contextmanager
def _stopped_by_signals(stop: threading.Event, *, active: bool) -> Iterator[None]:
    """Inside the block, SIGINT and SIGTERM set *stop* instead of ending the process."""
    if not active:
        yield
        return
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, lambda *_: stop.set()) for number in signals}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


# -- plots and reports ----------------------------------------------------------------


def _output_option(help_text: str) -> Callable[[_F], _F]:
    return click.option(
        "-o",
        "--output",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help=help_text,
    )


@cli.command("plot")
@_db
@click.argument("subject")
@_output_option("The image to write: FILE.png or FILE.svg.")
@_time_option("--at", "Only what was stated by then")
@_time_option("--known-at", "Only what the ledger had recorded by then")
def plot_command(
    *, db: Path | str, subject: str, output: Path, at: Stamp | None, known_at: Stamp | None
) -> None:
    """
    Draw SUBJECT: each source's value over stated time, PNG or SVG by extension.

    Bounds and ranges are shaded bands, labels coloured spans; rebuttals,
    corroborations, retractions and corrections are markers. Needs the plot
    extra: pip install 'ledger[plot]'.
    """
    with Ledger.open(db, create=False) as ledger:
        plot_subject(ledger, subject, output, at=at, known_at=known_at)
    click.echo(f"wrote {output}")


@cli.command("report")
@_db
@_output_option("The HTML page to write.")
@_time_option("--at", "Only what was stated by then")
@_time_option("--known-at", "Only what the ledger had recorded by then")
@click.option("--subject", "pattern", help="A subject key or a glob such as 'casualties.*'.")
@click.option(
    "--charts/--no-charts",
    default=None,
    help="Embed a chart per subject (default: when matplotlib is installed).",
)
def report_command(  # noqa: PLR0913 - one parameter per query option
    *,
    db: Path | str,
    output: Path,
    at: Stamp | None,
    known_at: Stamp | None,
    pattern: str | None,
    charts: bool | None,
) -> None:
    """
    Write the contested state as one self-contained HTML page for an editor.

    Per subject: its status, its sources side by side with who disputes or
    confirms them, its chart and its history. The page loads nothing from
    the network and runs no script.
    """
    with Ledger.open(db, create=False) as ledger:
        page = build_report(ledger, at=at, known_at=known_at, subjects=pattern, charts=charts)
    try:
        output.write_text(page, encoding="utf-8")
    except OSError as e:
        raise _InputError(f"{output}: cannot write: {e.strerror}") from None
    click.echo(f"wrote {output}")


def main(args: Sequence[str] | None = None) -> None:
    """
    Run the command line and exit; the ``ledger`` console script.

    .. versionadded:: 0.1.0
    """
    cli.main(args=None if args is None else list(args), prog_name="ledger")
