"""`paperwire subscribers`: add, list, show, change, remove, import and export the readers kept
in the database.

Every subcommand first syncs the configuration file's `[[subscribers]]` into the database (the
file wins for its readers), then calls `paperwire.subscriptions` (which checks the settings
with the file's model) and prints; an error names the option (or the entry) that was wrong.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from paperwire.cli import (
    COMMANDS,
    AppContext,
    common_options,
    examples,
    pass_app,
    setup_logging,
    write_output,
)
from paperwire.errors import UsageError
from paperwire.models import Origin
from paperwire.text import plural

if TYPE_CHECKING:
    from paperwire.config import DigestSettings, SubscriberSettings
    from paperwire.subscriptions import Subscriptions

CONFIG = Origin.CONFIG

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

# What `list` and `show` call each origin: the configuration file, or the database alone.
ORIGIN_NAMES: dict[str, str] = {CONFIG: "file", Origin.WEB: "web"}
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
    "add_keywords": "--add-keyword",
    "remove_keywords": "--remove-keyword",
}
# What `edit --clear` resets: every setting but the address (paperwire.subscriptions.CLEARABLE,
# spelt out here so that `--help` loads neither the settings model nor the store).
CLEARABLE = sorted(set(OPTION_OF) - {"email", "add_keywords", "remove_keywords"})


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


def synced_subscriptions(app: AppContext) -> Subscriptions:
    """The database's subscribers, after bringing the file's readers up to date."""
    setup_logging(app)
    subscriptions = app.paperwire.subscriptions()
    report = subscriptions.sync()
    for verb, emails in (
        ("added", report.added),
        ("updated", report.updated),
        ("removed", report.removed),
    ):
        if emails:
            log.info("from the configuration file: %s %s", verb, ", ".join(emails))
    return subscriptions


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
    data = {"email": email, **_given(settings)} | ({"paused": True} if paused else {})
    reader = synced_subscriptions(app).add(data, names=OPTION_OF)
    _info(app, f"added {reader.email}")


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
        parts.append(plural(len(subscriber.like), "liked paper"))
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
    from paperwire.subscriptions import settings_of

    stored = synced_subscriptions(app).all()
    if output_format == "json":
        rows = [
            settings_of(s).model_dump(mode="json") | {"origin": ORIGIN_NAMES.get(s.origin, "db")}
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
            settings = settings_of(s)
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
    from paperwire.subscriptions import settings_of

    subscriptions = synced_subscriptions(app)
    found = subscriptions.find(email)
    subscriber, digest = settings_of(found), app.settings.digest
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
    file = app.settings.config_file
    origins: dict[str, str] = {
        CONFIG: f"the configuration file {file}",
        Origin.WEB: "subscribed on the readers' pages, paperwire web",
    }
    origin = origins.get(found.origin, "added with paperwire subscribers")
    lines += [
        ("schedule", schedule(subscriber, digest)),
        ("origin", f"{ORIGIN_NAMES.get(found.origin, 'db')} ({origin})"),
        ("created", f"{found.created_at:%Y-%m-%d %H:%M} UTC"),
        ("updated", f"{found.updated_at:%Y-%m-%d %H:%M} UTC"),
    ]
    left = subscriptions.unsubscribed(subscriber.email)
    if left is not None:
        lines.append(("unsubscribed", f"{left[0]:%Y-%m-%d %H:%M} UTC ({left[1]}): gets no digest"))
    latest = subscriptions.last_delivery(subscriber.email)
    last = "none yet"
    if latest is not None:
        window = str(latest.window_from)
        if latest.window_to != latest.window_from:
            window += f" to {latest.window_to}"
        when = latest.sent_at or latest.created_at
        papers = plural(latest.papers, "paper")
        last = f"{window}: {latest.state} {when:%Y-%m-%d %H:%M} UTC ({papers})"
    lines.append(("last digest", last))
    for channel in app.paperwire.channels().values():
        note = channel.reader_note(found) if channel.name in found.channels else ""
        if note:
            lines.append((channel.name, note))
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        click.echo(f"{label:<{width}} {value}")


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
    given = _given(settings) | ({} if pause is None else {"paused": pause})
    subscriptions = synced_subscriptions(app)
    if not (given or add_keywords or remove_keywords or clear):
        subscriptions.changeable(email)  # who they are, and whether they can be changed here
        raise UsageError(
            "nothing to change: give an option such as --keyword "
            "(see paperwire subscribers edit --help)"
        )
    edited = subscriptions.edit(
        email,
        given,
        clear=clear,
        add_keywords=add_keywords,
        remove_keywords=remove_keywords,
        names=dict(OPTION_OF, paused="--pause"),
    )
    if not edited.changed:
        _info(app, f"{edited.settings.email}: nothing changed")
        return
    _info(app, f"updated {edited.settings.email}: {', '.join(edited.changed)}")


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
    found = synced_subscriptions(app).remove(email)
    _info(app, f"removed {found.email} (their delivery history is kept)")


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
    from paperwire.subscriptions import entry_location, read_entries

    subscriptions = synced_subscriptions(app)
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
    entries = read_entries(name, text, as_json=as_json)
    report = subscriptions.import_entries(entries, replace=replace, where=entry_location(name))
    parts = [f"imported {report.imported}"]
    parts += [f"replaced {report.replaced}"] if report.replaced else []
    reasons = [
        f"{why}: {', '.join(emails)}"
        for why, emails in (
            ("already subscribed", report.present),
            ("unchanged", report.unchanged),
            ("in the configuration file", report.configured),
            ("unsubscribed", report.unsubscribed),
        )
        if emails
    ]
    if report.skipped:
        parts.append(f"skipped {report.skipped} ({'; '.join(reasons)})")
    _info(app, ", ".join(parts))


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
    stored = [s for s in synced_subscriptions(app).all() if not (only_db and s.origin == CONFIG)]
    if output_format is None:
        output_format = (
            "json" if output is not None and output.suffix.lower() == ".json" else "toml"
        )
    from paperwire.subscriptions import export_text

    text = export_text(stored, output_format)
    if not stored and not app.quiet:
        click.echo("no subscribers", err=True)
    if output is None:
        click.echo(text, nl=False)
        return
    write_output(output, text)
    if not app.quiet:
        click.echo(f"wrote {plural(len(stored), 'subscriber')} to {output}", err=True)
