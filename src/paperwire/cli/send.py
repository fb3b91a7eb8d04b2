"""`paperwire send`: deliver every due digest (email or an outbox; Atom feeds), once and only
once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from paperwire.cli import COMMANDS, AppContext, common_options, examples, pass_app, setup_logging

if TYPE_CHECKING:
    from rich.table import Table

    from paperwire.delivery.base import Outcome


@click.command(
    "send",
    short_help=COMMANDS["send"][1],
    epilog=examples(
        "paperwire send",
        "paperwire send --dry-run",
        "paperwire send --outbox ./outbox",
        "paperwire send --plan-only      # record the due digests; senders deliver them",
        "paperwire send --deliver-only   # another sender sharing a PostgreSQL database",
    ),
)
@click.option("--dry-run", is_flag=True, help="Show who would get what; send and record nothing.")
@click.option(
    "--outbox",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write .eml files to this directory instead of using SMTP "
    "(the default when smtp.host is empty).",
)
@click.option(
    "--deliver-only",
    is_flag=True,
    help="Plan nothing: deliver the digests already planned and not yet sent (a second "
    "sender sharing the database; senders claim digests in batches, each is sent once).",
)
@click.option(
    "--plan-only",
    is_flag=True,
    help="Build and record the due digests; deliver none (senders with --deliver-only do).",
)
@common_options
@pass_app
def command(
    app: AppContext, dry_run: bool, outbox: Path | None, deliver_only: bool, plan_only: bool
) -> None:
    """Build each subscriber's due digest (the papers announced since their last one) and
    deliver it on their channels: email (SMTP, or the outbox), their private Atom feed.

    Safe to repeat: a subscriber never gets the same paper twice or two digests for one window.
    Digests refused for now (4xx) are retried by the next run; exit status 1 when any failed.
    """
    from paperwire.cli.output import show_summary, slot_text
    from paperwire.delivery.base import Outcome
    from paperwire.delivery.base import OutcomeStatus as Status
    from paperwire.scheduling.tick import hold_notice

    if deliver_only and plan_only:
        raise click.UsageError("--deliver-only and --plan-only exclude each other")
    setup_logging(app)
    pw = app.paperwire
    settings = pw.settings
    if outbox is None and not settings.smtp.host and not dry_run and not app.quiet:
        click.echo(
            f"paperwire: smtp.host is not set: writing .eml files to outbox "
            f"{settings.delivery.outbox}",
            err=True,
        )
    result = pw.send_due(
        dry_run=dry_run,
        outbox=None if outbox is None else str(outbox),
        deliver_only=deliver_only,
        plan_only=plan_only,
    )
    if not result.readers:
        click.echo(
            "paperwire: no subscribers: add [[subscribers]] to the configuration "
            "or use `paperwire subscribers add`",
            err=True,
        )
        return
    if result.plan.holes:
        click.echo(
            f"paperwire: error: {hold_notice(result.plan.holes)} (paperwire run fetches them)",
            err=True,
        )
    due, summary = result.due, result.summary
    if dry_run:
        waiting = [
            Outcome(one.email, Status.WAITING, detail=slot_text(slot)) for one, slot in due.waiting
        ]
        paused = [Outcome(one.email, Status.PAUSED) for one in due.paused]
        # A reader whose digest waits for a retry has that row; "nothing new" would repeat them.
        retrying = {o.subscriber.lower() for o in summary.outcomes}
        current = [
            Outcome(one.email, Status.NOTHING)
            for one in due.current
            if one.email.lower() not in retrying
        ]
        app.result_console.print(_plan_table(summary.outcomes + current + waiting + paused))
        return
    if not deliver_only:
        summary.outcomes += [Outcome(one.email, Status.NOTHING) for one in due.current]
    show_summary(app, summary)
    if result.failed:
        raise click.exceptions.Exit(1)


def _plan_table(outcomes: list[Outcome]) -> Table:
    from rich.table import Table

    from paperwire.cli.output import window

    table = Table(title="paperwire send --dry-run: nothing is sent or recorded")
    channels = len({o.channel for o in outcomes}) > 1
    columns = ["subscriber", "would", "window", "papers", "subject or reason"]
    if channels:
        columns[1:1] = ["channel"]
    for column in columns:
        table.add_column(column, overflow="fold")
    would = {
        "planned": "send",
        "retry": "retry",
        "skipped": "skip",
        "nothing": "—",
        "waiting": "wait",
    }
    for outcome in outcomes:
        row = [
            outcome.subscriber,
            would.get(outcome.status, outcome.status),
            window(outcome),
            str(outcome.papers) if outcome.status in ("planned", "retry", "skipped") else "",
            outcome.detail or ("no new announcements" if outcome.status == "nothing" else ""),
        ]
        if channels:
            row[1:1] = [outcome.channel]
        table.add_row(*row)
    return table
