"""`paperwire send`: email every due digest (or write it to an outbox), once and only once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from rich.table import Table

from paperwire.cli import AppContext, common_options, examples, pass_app, setup_logging
from paperwire.delivery.batch import Outcome, SendSummary, choose_transport, send_due
from paperwire.scheduling.due import due_readers, readers
from paperwire.scheduling.tick import hold_notice, plan_limits
from paperwire.scoring.semantic import load_embedder


@click.command(
    "send",
    short_help="Email every due digest.",
    epilog=examples(
        "paperwire send",
        "paperwire send --dry-run",
        "paperwire send --outbox ./outbox",
    ),
)
@click.option("--dry-run", is_flag=True, help="Show who would get what; send and record nothing.")
@click.option(
    "--outbox",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write .eml files to this directory instead of using SMTP "
    "(the default when smtp.host is empty).",
)
@common_options
@pass_app
def command(app: AppContext, dry_run: bool, outbox: Path | None) -> None:
    """Build and email each subscriber's due digest: the papers announced since their last one.

    Safe to repeat: a subscriber never gets the same paper twice or two digests for one window.
    Digests refused for now (4xx) are retried by the next run; exit status 1 when any failed.
    """
    setup_logging(app)
    settings = app.settings
    now = app.now()
    everyone = readers(app.store, settings, now, sync=not dry_run)
    if not everyone:
        click.echo(
            "paperwire: no subscribers: add [[subscribers]] to the configuration "
            "or use `paperwire subscribers add`",
            err=True,
        )
        return
    due = due_readers(app.store, everyone, now)
    limits = plan_limits(app.store, settings, everyone, now)  # the same rules as `run`
    planned = limits.plannable(due.due)
    if limits.holes:
        click.echo(
            f"paperwire: error: {hold_notice(limits.holes)} (paperwire run fetches them)",
            err=True,
        )
    embedder = load_embedder() if settings.scoring.semantic else None
    transport = choose_transport(settings, None if outbox is None else str(outbox))
    if outbox is None and not settings.smtp.host and not dry_run and not app.quiet:
        click.echo(
            f"paperwire: smtp.host is not set: writing .eml files to {transport.describe()}",
            err=True,
        )
    summary = send_due(
        app.store,
        settings,
        planned,
        transport,
        now,
        dry_run=dry_run,
        embedder=embedder,
        deliver_to=[one.recipient.email for one in everyone if not one.paused],
        newest=limits.newest,
        trending_newest=limits.trending_newest,
    )
    if dry_run:
        transport.close()
        waiting = [
            Outcome(one.recipient.email, "waiting", detail=_slot(slot)) for one, slot in due.waiting
        ]
        paused = [Outcome(one.recipient.email, "paused") for one in due.paused]
        current = [Outcome(one.recipient.email, "nothing") for one in due.current]
        app.console.print(_plan_table(summary.outcomes + current + waiting + paused))
        return
    summary.outcomes += [Outcome(one.recipient.email, "nothing") for one in due.current]
    show_summary(app, summary)
    if summary.failed or limits.holes:
        raise click.exceptions.Exit(1)


def _slot(slot: dt.datetime | None) -> str:
    return f"not before {slot:%Y-%m-%d %H:%M %Z}" if slot else ""


def _window(outcome: Outcome) -> str:
    if outcome.window is None:
        return ""
    first, last = outcome.window
    return str(first) if first == last else f"{first} to {last}"


def _plan_table(outcomes: list[Outcome]) -> Table:
    table = Table(title="paperwire send --dry-run: nothing is sent or recorded")
    for column in ("subscriber", "would", "window", "papers", "subject or reason"):
        table.add_column(column, overflow="fold")
    would = {
        "planned": "send",
        "retry": "retry",
        "skipped": "skip",
        "nothing": "—",
        "waiting": "wait",
    }
    for outcome in outcomes:
        table.add_row(
            outcome.subscriber,
            would.get(outcome.status, outcome.status),
            _window(outcome),
            str(outcome.papers) if outcome.status in ("planned", "retry", "skipped") else "",
            outcome.detail or ("no new announcements" if outcome.status == "nothing" else ""),
        )
    return table


def show_summary(app: AppContext, summary: SendSummary, *, news_only: bool = False) -> None:
    """The closing summary: one line of what went out on stdout (silent with -q); one line
    per failed or deferred digest, and a transport problem, on stderr. With `news_only` (a
    cron tick), readers with nothing new are not mentioned."""
    sent = [o for o in summary.outcomes if o.status == "sent"]
    parts = []
    if sent:
        noun = "digest" if len(sent) == 1 else "digests"
        papers = sum(o.papers for o in sent)
        things = "paper" if papers == 1 else "papers"
        parts.append(f"sent {len(sent)} {noun} ({papers} {things}) via {summary.transport}")
    skipped = [o.subscriber for o in summary.outcomes if o.status == "skipped"]
    if news_only:
        skipped = []
    if skipped:
        parts.append(f"nothing matched for {len(skipped)}: {', '.join(skipped)}")
    nothing = [o for o in summary.outcomes if o.status == "nothing"]
    taken = [o for o in nothing if o.detail]
    if news_only:
        nothing = taken = []
    if len(nothing) > len(taken):
        count = len(nothing) - len(taken)
        parts.append(f"nothing new for {count} subscriber{'s' if count != 1 else ''}")
    parts += [f"{o.subscriber} {o.detail}" for o in taken]
    if parts and not app.quiet:
        click.echo("; ".join(parts))
    if app.verbosity and not app.quiet:
        for outcome in sent:
            click.echo(
                f"  {outcome.subscriber}: {outcome.papers} papers, {_window(outcome)}: "
                f"{outcome.detail}"
            )
    for status, label in (("failed", "failed"), ("deferred", "will retry")):
        for outcome in (o for o in summary.outcomes if o.status == status):
            click.echo(
                f"paperwire: {label}: {outcome.subscriber} ({_window(outcome)}): {outcome.detail}",
                err=True,
            )
    if summary.problem:
        click.echo(f"paperwire: error: {summary.problem}", err=True)
