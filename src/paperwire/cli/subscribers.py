"""`paperwire subscribers`: add, list, show, change, remove, import and export the readers kept
in the database.

Every subcommand first syncs the configuration file's `[[subscribers]]` into the database (the
file wins for its readers), then works on the rows; the settings are checked by the same model
as the file's, so an error names the option (or the entry) and what is wrong with it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError

from paperwire.cli import (
    COMMANDS,
    AppContext,
    common_options,
    examples,
    pass_app,
    setup_logging,
    write_output,
)
from paperwire.config import DigestSettings, Settings, SubscriberSettings, find_config_file
from paperwire.errors import ProfileError, SubscriberExists, UsageError
from paperwire.models import Origin, Reader
from paperwire.store.subscribers import SubscriberBook
from paperwire.syntax import split_weight

CONFIG = Origin.CONFIG

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

# What `list` and `show` call each origin: the configuration file, or the database alone.
ORIGIN_NAMES: dict[str, str] = {CONFIG: "file"}
# The option that sets each setting, so that an error names what the user typed.
OPTION_OF = {
    "email": "EMAIL",
    "name": "--name",
    "categories": "--category",
    "keywords": "--keyword",
    "exclude": "--exclude",
    "authors": "--author",
    "description": "--description",
    "like": "--like",
    "query": "--query",
    "timezone": "--timezone",
    "send_at": "--send-at",
    "mode": "--mode",
    "trending_filter": "--trending-filter",
    "frequency": "--frequency",
    "weekday": "--weekday",
    "max_papers": "--max-papers",
    "min_score": "--min-score",
    "paused": "--paused",
    "sources": "--source",
    "channels": "--channel",
}
CLEARABLE = sorted(set(SubscriberSettings.model_fields) - {"email"})
EXPORT_HEADER = (
    "# paperwire subscribers: read back with `paperwire subscribers import FILE`,\n"
    "# or paste into a paperwire configuration file.\n\n"
)


def setting_options(function: F) -> F:
    """The options of `add` and `edit`, one per subscriber setting."""
    options = [
        click.option("--name", help="Display name for the To: line."),
        click.option(
            "-c",
            "--category",
            "categories",
            multiple=True,
            metavar="CAT",
            help='arXiv category or archive, optionally weighted: "cs.CL^0.5" (repeatable; '
            "none: all configured categories).",
        ),
        click.option(
            "-k",
            "--keyword",
            "keywords",
            multiple=True,
            metavar="TEXT",
            help='Keyword or phrase, optionally weighted: "LoRA^2" (repeatable).',
        ),
        click.option(
            "--exclude",
            multiple=True,
            metavar="TEXT",
            help="Leave out papers mentioning this (repeatable).",
        ),
        click.option(
            "--author",
            "authors",
            multiple=True,
            metavar="NAME",
            help="Author to follow (repeatable).",
        ),
        click.option("--description", help="A few sentences on what they work on."),
        click.option(
            "--like",
            multiple=True,
            metavar="ARXIV_ID",
            help="A paper that defines their topic by example (repeatable).",
        ),
        click.option(
            "--query", help="Boolean filter, e.g. '(\"graph neural\" OR GNN) NOT survey'."
        ),
        click.option(
            "--mode",
            type=click.Choice(["topics", "trending"], case_sensitive=False),
            help="topics: arXiv's papers on their topics; trending: Hugging Face's Daily "
            "Papers by upvotes, papers on their topics first.",
        ),
        click.option(
            "--trending-filter/--no-trending-filter",
            default=None,
            help="With --mode trending: only the papers on their topics.",
        ),
        click.option("--timezone", metavar="ZONE", help="Time zone of --send-at (Europe/Berlin)."),
        click.option("--send-at", metavar="HH:MM", help="Send the digest at this time of day."),
        click.option(
            "--frequency",
            type=click.Choice(["daily", "weekly"], case_sensitive=False),
            help="One digest a day, or one a week on --weekday.",
        ),
        click.option("--weekday", metavar="DAY", help="The day of a weekly digest (monday)."),
        click.option("--max-papers", type=int, metavar="N", help="At most N papers a digest."),
        click.option("--min-score", type=float, metavar="X", help="Leave out papers below X."),
        click.option(
            "--source",
            "sources",
            multiple=True,
            metavar="NAME",
            help="Only papers from this source (arxiv, huggingface, a feed's name; "
            "repeatable; none: every configured source).",
        ),
        click.option(
            "--channel",
            "channels",
            multiple=True,
            type=click.Choice(["email", "atom"]),
            help="Where digests go: email, and/or atom (a private feed file; repeatable; "
            "default: email).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@click.group(
    "subscribers",
    short_help=COMMANDS["subscribers"][1],
    epilog=examples(
        "paperwire subscribers add ada@example.org --name Ada -c cs.LG -k 'multi-task learning'",
        "paperwire subscribers list",
        "paperwire subscribers edit ada@example.org --send-at 07:00 --timezone Europe/Berlin",
        "paperwire subscribers export -o readers.toml",
    ),
)
@common_options
def command() -> None:
    """Manage the subscribers kept in the database.

    Readers listed as [[subscribers]] in the configuration file are copied into the database
    by every subcommand, and the file wins for them: change those in the file.
    """


def _book(app: AppContext) -> SubscriberBook:
    """The database's subscribers, after bringing the file's readers up to date."""
    from paperwire.readers import sync_readers

    setup_logging(app)
    book = app.store.subscribers
    report = sync_readers(app.store, app.settings, app.now())
    for verb, emails in (
        ("added", report.added),
        ("updated", report.updated),
        ("removed", report.removed),
    ):
        if emails:
            log.info("from the configuration file: %s %s", verb, ", ".join(emails))
    return book


def _configuration(app: AppContext) -> str:
    path = find_config_file(app.config_path, app.env, Path.cwd())
    return f"the configuration file {path}" if path else "the configuration"


def _settings(reader: Reader) -> SubscriberSettings:
    """A stored reader's settings, every one of them, as the file's model holds them."""
    try:
        return SubscriberSettings.model_validate(reader.settings())
    except ValidationError:  # a row nobody can read: its address, paused
        return SubscriberSettings(email=reader.email, paused=True)


def _found(book: SubscriberBook, email: str) -> Reader:
    found = book.get(email)
    if found is None:
        raise UsageError(f"{email.strip()} is not a subscriber (see paperwire subscribers list)")
    return found


def _changeable(app: AppContext, book: SubscriberBook, email: str, verb: str) -> Reader:
    """A reader this command may change: not one of the configuration file's."""
    found = _found(book, email)
    if found.origin == CONFIG:
        raise UsageError(f"{found.email} is in {_configuration(app)}; {verb} it there")
    return found


def _problems(exc: ValidationError, where: Callable[[tuple[int | str, ...]], str]) -> str:
    """One line for what is wrong, each problem prefixed with `where` its value came from."""
    errors = exc.errors()
    parts = []
    for error in errors[:3]:
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        prefix = where(tuple(error["loc"]))
        parts.append(f"{prefix}: {message}" if prefix else message)
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(parts) + more


def _validated(data: Mapping[str, Any], option_of: Mapping[str, str]) -> SubscriberSettings:
    try:
        return SubscriberSettings.model_validate(data)
    except ValidationError as exc:
        message = _problems(exc, lambda loc: option_of.get(str(loc[0]), str(loc[0])) if loc else "")
        raise UsageError(message) from None


def _given(values: Mapping[str, Any]) -> dict[str, Any]:
    """The settings given on the command line (an option left out is None or empty)."""
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in values.items()
        if value is not None and value != ()
    }


def _info(app: AppContext, line: str) -> None:
    if not app.quiet:
        click.echo(line)


@command.command(
    "add",
    short_help="Add a subscriber.",
    epilog=examples(
        "paperwire subscribers add ada@example.org --name Ada -c cs.LG -k 'multi-task learning'",
        "paperwire subscribers add bob@example.org -c astro-ph --frequency weekly --weekday fri",
    ),
)
@click.argument("email")
@setting_options
@click.option("--paused", is_flag=True, help="Add them, but send nothing until resumed.")
@common_options
@pass_app
def add(app: AppContext, email: str, paused: bool, **settings: Any) -> None:
    """Add a subscriber with the address EMAIL and the settings given.

    Settings left out take the defaults of the configuration file's [[subscribers]].
    """
    book = _book(app)
    data = {"email": email, **_given(settings)} | ({"paused": True} if paused else {})
    subscriber = _validated(data, OPTION_OF)
    existing = book.get(subscriber.email)
    if existing is not None and existing.origin == CONFIG:
        raise UsageError(f"{existing.email} is already a subscriber, in {_configuration(app)}")
    taken = f"{subscriber.email} is already a subscriber (use `paperwire subscribers edit`)"
    if existing is not None:
        raise UsageError(taken)
    try:
        book.add(subscriber.to_reader(Origin.CLI), app.now())
    except SubscriberExists:  # added by someone else meanwhile
        raise UsageError(taken) from None
    _info(app, f"added {subscriber.email}")


def schedule(subscriber: SubscriberSettings, digest: DigestSettings) -> str:
    """When this reader's digest goes out: "daily at 07:00 (Europe/Berlin)", "as announced"
    ("as each featured day ends (UTC)" for a trending reader: the kind says)."""
    from paperwire.digest.kinds import kind_named
    from paperwire.scheduling.due import SendSchedule

    reader = subscriber.to_reader()
    return SendSchedule.of(reader, digest).describe(kind_named(reader.mode).as_published)


def _topics(subscriber: SubscriberSettings) -> str:
    parts = [", ".join(subscriber.categories) or "all categories"]
    if subscriber.mode == "trending":
        only = ", only on their topics" if subscriber.trending_filter else ""
        parts = [f"trending on Hugging Face{only}"]
    if subscriber.keywords:
        parts.append(", ".join(subscriber.keywords))
    if subscriber.authors:
        parts.append("by " + ", ".join(subscriber.authors))
    if subscriber.exclude:
        parts.append("not " + ", ".join(subscriber.exclude))
    if subscriber.query:
        parts.append(f"query {subscriber.query}")
    if subscriber.like:
        parts.append(f"{len(subscriber.like)} liked paper{'s' if len(subscriber.like) > 1 else ''}")
    if subscriber.description:
        parts.append("a description")
    return "; ".join(parts)


@command.command(
    "list",
    short_help="List the subscribers.",
    epilog=examples("paperwire subscribers list", "paperwire subscribers list --format json"),
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table: for people; json: each reader's settings and origin.",
)
@common_options
@pass_app
def list_(app: AppContext, output_format: str) -> None:
    """List every subscriber: the configuration file's ("file") and the database's ("db")."""
    stored = _book(app).all()
    if output_format == "json":
        rows = [
            _settings(s).model_dump(mode="json") | {"origin": ORIGIN_NAMES.get(s.origin, "db")}
            for s in stored
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif stored:
        from rich.table import Table
        from rich.text import Text

        table = Table(expand=False)
        for column in ("email", "name", "origin", "schedule", "topics", "paused"):
            table.add_column(column, overflow="fold")
        for s in stored:
            settings = _settings(s)
            cells = (
                s.email,
                settings.name,
                ORIGIN_NAMES.get(s.origin, "db"),
                schedule(settings, app.settings.digest),
                _topics(settings),
                "paused" if settings.paused else "",
            )
            table.add_row(*(Text(cell) for cell in cells))  # Text: no markup in names
        app.result_console.print(table)
    if not stored and not app.quiet:
        click.echo("no subscribers", err=True)


def _shown(value: Any, fallback: str = "(none)") -> str:
    if isinstance(value, list):
        return ", ".join(value) or fallback
    if isinstance(value, bool):
        return "yes" if value else "no"
    return fallback if value is None or value == "" else str(value)


@command.command(
    "show",
    short_help="Show one subscriber's settings and last digest.",
    epilog=examples("paperwire subscribers show ada@example.org"),
)
@click.argument("email")
@common_options
@pass_app
def show(app: AppContext, email: str) -> None:
    """Show every setting of the subscriber EMAIL, where it comes from, and the last digest."""
    found = _found(_book(app), email)
    subscriber, digest = _settings(found), app.settings.digest
    inherited = {
        "timezone": f"(digest default: {digest.timezone})",
        "send_at": f"(digest default: {digest.send_at or 'as announced'})",
        "max_papers": f"(digest default: {digest.max_papers})",
        "min_score": f"(digest default: {digest.min_score})",
        "categories": "(all configured categories)",
        "sources": "(every configured source)",
    }
    lines = [
        (field, _shown(value, inherited.get(field, "(none)")))
        for field, value in subscriber.model_dump().items()
    ]
    origin = _configuration(app) if found.origin == CONFIG else "added with paperwire subscribers"
    lines += [
        ("schedule", schedule(subscriber, digest)),
        ("origin", f"{ORIGIN_NAMES.get(found.origin, 'db')} ({origin})"),
        ("created", f"{found.created_at:%Y-%m-%d %H:%M} UTC"),
        ("updated", f"{found.updated_at:%Y-%m-%d %H:%M} UTC"),
    ]
    deliveries = app.store.ledger.deliveries(subscriber.email)
    last = "none yet"
    if deliveries:
        latest = deliveries[-1]
        window = str(latest.window_from)
        if latest.window_to != latest.window_from:
            window += f" to {latest.window_to}"
        when = latest.sent_at or latest.created_at
        papers = f"{latest.papers} paper{'' if latest.papers == 1 else 's'}"
        last = f"{window}: {latest.state} {when:%Y-%m-%d %H:%M} UTC ({papers})"
    lines.append(("last digest", last))
    for channel in app.paperwire.channels().values():
        note = channel.reader_note(found) if channel.name in found.channels else ""
        if note:
            lines.append((channel.name, note))
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        click.echo(f"{label:<{width}} {value}")


def _term(text: str) -> str:
    """A keyword without its weight, for comparing: "LoRA^2" → "lora"."""
    try:
        return split_weight(text)[0].lower()
    except ProfileError:
        return text.strip().lower()


@command.command(
    "edit",
    short_help="Change a subscriber's settings.",
    epilog=examples(
        "paperwire subscribers edit ada@example.org --send-at 07:00 --timezone Europe/Berlin",
        "paperwire subscribers edit ada@example.org --add-keyword LoRA --remove-keyword MTL",
        "paperwire subscribers edit ada@example.org --clear max_papers --pause",
    ),
)
@click.argument("email")
@setting_options
@click.option("--pause/--resume", default=None, help="Stop sending for now, or start again.")
@click.option("--add-keyword", "add_keywords", multiple=True, metavar="TEXT", help="Add a keyword.")
@click.option(
    "--remove-keyword",
    "remove_keywords",
    multiple=True,
    metavar="TEXT",
    help="Remove a keyword (its weight need not be given).",
)
@click.option(
    "--clear",
    multiple=True,
    type=click.Choice(CLEARABLE),
    metavar="SETTING",
    help="Reset a setting to its default, before the other options apply (repeatable).",
)
@common_options
@pass_app
def edit(
    app: AppContext,
    email: str,
    pause: bool | None,
    add_keywords: tuple[str, ...],
    remove_keywords: tuple[str, ...],
    clear: tuple[str, ...],
    **settings: Any,
) -> None:
    """Change the settings of the subscriber EMAIL: each option given replaces that setting
    (a list by the values given); the others stay as they are.

    Readers in the configuration file are changed there, not here.
    """
    book = _book(app)
    before = _settings(_changeable(app, book, email, "edit"))
    given = _given(settings) | ({} if pause is None else {"paused": pause})
    if not (given or add_keywords or remove_keywords or clear):
        raise UsageError(
            "nothing to change: give an option such as --keyword "
            "(see paperwire subscribers edit --help)"
        )
    data = before.model_dump(mode="json")
    for field in clear:
        data[field] = SubscriberSettings.model_fields[field].get_default(call_default_factory=True)
    data |= given
    keywords = list(data["keywords"])
    for text in remove_keywords:
        kept = [k for k in keywords if _term(k) != _term(text)]
        if len(kept) == len(keywords):
            raise UsageError(f"--remove-keyword: {text!r} is not a keyword of {before.email}")
        keywords = kept
    for text in add_keywords:
        keywords = [k for k in keywords if _term(k) != _term(text)] + [text]
    data["keywords"] = keywords
    option_of = dict(OPTION_OF, paused="--pause")
    if add_keywords and "keywords" not in given:
        option_of["keywords"] = "--add-keyword"
    after = _validated(data, option_of)
    old, new = before.model_dump(), after.model_dump()
    changed = [field for field in new if new[field] != old[field]]
    if not changed:
        _info(app, f"{before.email}: nothing changed")
        return
    if not book.replace(after.to_reader(Origin.CLI), app.now()):  # removed meanwhile
        raise UsageError(f"{before.email} is not a subscriber (see paperwire subscribers list)")
    _info(app, f"updated {after.email}: {', '.join(changed)}")


@command.command(
    "remove",
    short_help="Remove a subscriber.",
    epilog=examples("paperwire subscribers remove ada@example.org"),
)
@click.argument("email")
@common_options
@pass_app
def remove(app: AppContext, email: str) -> None:
    """Remove the subscriber EMAIL. Their delivery history is kept, so adding them again
    never resends what they already received."""
    book = _book(app)
    found = _changeable(app, book, email, "remove")
    if not book.remove(found.email):
        raise UsageError(f"{found.email} is not a subscriber (see paperwire subscribers list)")
    _info(app, f"removed {found.email} (their delivery history is kept)")


def _entries(name: str, text: str, as_json: bool) -> list[Any]:
    """The subscriber entries of an import file: TOML [[subscribers]] or a JSON list."""
    if as_json:
        try:
            data: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{name}: invalid JSON: {exc}") from None
        if isinstance(data, dict) and set(data) == {"subscribers"}:
            data = data["subscribers"]
        if not isinstance(data, list):
            raise UsageError(f"{name}: not a JSON list of subscribers")
        return data
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{name}: invalid TOML: {exc}") from None
    # Other sections of a configuration file are left alone; anything else is a typo.
    unknown = sorted(set(document) - set(Settings.model_fields))
    if unknown:
        raise UsageError(f"{name}: {unknown[0]}: unknown key (only [[subscribers]] is imported)")
    entries = document.get("subscribers")
    if not isinstance(entries, list):
        raise UsageError(f"{name}: no [[subscribers]] tables")
    return entries


def _location(name: str) -> Callable[[tuple[int | str, ...]], str]:
    def where(loc: tuple[int | str, ...]) -> str:
        key = ""
        for part in loc:
            key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else part)
        return f"{name}: {key}" if key else name

    return where


@command.command(
    "import",
    short_help="Add subscribers from a TOML or JSON file.",
    epilog=examples(
        "paperwire subscribers import readers.toml",
        "paperwire subscribers import --replace readers.json",
    ),
)
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite subscribers already in the database.")
@common_options
@pass_app
def import_(app: AppContext, file: Path, replace: bool) -> None:
    """Add the subscribers in FILE: [[subscribers]] tables as in the configuration file, or
    a JSON list as `export --format json` writes (- reads standard input).

    Every entry is checked first: one bad entry and nothing is imported. Subscribers already
    in the database are skipped unless --replace; the configuration file's are never touched.
    """
    book = _book(app)
    name = "<stdin>" if str(file) == "-" else str(file)
    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{name}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    suffix = file.suffix.lower()
    # Without a telling suffix, a JSON list starts "[{" or "[]"; TOML tables start "[[".
    as_json = suffix == ".json" or (
        suffix != ".toml" and re.match(r"\s*(\[\s*[{\]]|\{)", text) is not None
    )
    entries = _entries(name, text, as_json)
    for entry in entries:
        if isinstance(entry, dict):
            entry.pop("origin", None)  # as `list --format json` writes it
    try:
        incoming = Settings.model_validate({"subscribers": entries}).subscribers
    except ValidationError as exc:
        raise UsageError(_problems(exc, _location(name))) from None
    now = app.now()
    imported, replaced, unchanged, present, configured = 0, 0, [], [], []
    for subscriber in incoming:
        existing = book.get(subscriber.email)
        if existing is not None and existing.origin == CONFIG:
            configured.append(subscriber.email)
        elif existing is not None and not replace:
            present.append(subscriber.email)
        elif existing is not None and _settings(existing) == subscriber:
            unchanged.append(subscriber.email)
        elif existing is not None:
            book.replace(subscriber.to_reader(Origin.CLI), now)
            replaced += 1
        else:
            try:
                book.add(subscriber.to_reader(Origin.CLI), now)
                imported += 1
            except SubscriberExists:  # added by someone else meanwhile
                present.append(subscriber.email)
    parts = [f"imported {imported}"] + ([f"replaced {replaced}"] if replaced else [])
    reasons = [
        f"{why}: {', '.join(emails)}"
        for why, emails in (
            ("already subscribed", present),
            ("unchanged", unchanged),
            ("in the configuration file", configured),
        )
        if emails
    ]
    skipped = len(present) + len(unchanged) + len(configured)
    if skipped:
        parts.append(f"skipped {skipped} ({'; '.join(reasons)})")
    _info(app, ", ".join(parts))


def export_text(readers: Sequence[Reader], output_format: str) -> str:
    """Readers as `import` reads them back: TOML [[subscribers]] tables (a valid
    configuration fragment) or a JSON list; only settings that differ from the defaults."""
    import tomli_w

    entries = [r.settings() for r in readers]
    if output_format == "json":
        return json.dumps(entries, ensure_ascii=False, indent=2) + "\n"
    return EXPORT_HEADER + tomli_w.dumps({"subscribers": entries})


@command.command(
    "export",
    short_help="Write every subscriber as TOML or JSON.",
    epilog=examples(
        "paperwire subscribers export -o readers.toml",
        "paperwire subscribers export --only-db --format json > readers.json",
    ),
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["toml", "json"]),
    help="toml: [[subscribers]] tables; json: a list (default: from the -o suffix, else toml).",
)
@click.option("--only-db", is_flag=True, help="Leave out the configuration file's readers.")
@common_options
@pass_app
def export(app: AppContext, output: Path | None, output_format: str | None, only_db: bool) -> None:
    """Write every subscriber (the configuration file's too) in a form `import` reads back."""
    stored = [s for s in _book(app).all() if not (only_db and s.origin == CONFIG)]
    if output_format is None:
        output_format = (
            "json" if output is not None and output.suffix.lower() == ".json" else "toml"
        )
    text = export_text(stored, output_format)
    if not stored and not app.quiet:
        click.echo("no subscribers", err=True)
    if output is None:
        click.echo(text, nl=False)
        return
    write_output(output, text)
    if not app.quiet:
        noun = "subscriber" if len(stored) == 1 else "subscribers"
        click.echo(f"wrote {len(stored)} {noun} to {output}", err=True)
