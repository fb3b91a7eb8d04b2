"""`paperwire run`: one cron tick — fetch what is due, send what is due, quietly."""

from __future__ import annotations

import logging

import click

from paperwire.cli import AppContext, common_options, examples, pass_app, setup_logging
from paperwire.cli.fetch import summarise
from paperwire.cli.send import show_summary
from paperwire.delivery.batch import Transport, choose_transport
from paperwire.scheduling.lock import run_lock
from paperwire.scheduling.tick import TickReport, hold_notice, tick
from paperwire.scoring.semantic import Embedder, load_embedder
from paperwire.sources.arxiv.fetch import FetchReport

log = logging.getLogger(__name__)


def run_once(
    app: AppContext, *, fetch: bool = True, force_fetch: bool = False
) -> TickReport | None:
    """One tick under the lock, its news printed; None when another tick holds the lock.

    Shared by `run` and each of `serve`'s jobs. Prints nothing when nothing happened (cron
    mails whatever a job prints): papers stored, digests sent and problems are news.
    """
    settings = app.settings

    def transport() -> Transport:
        return choose_transport(settings)

    def embedder() -> Embedder | None:
        return load_embedder() if settings.scoring.semantic else None

    with run_lock(app.store, settings, app.env) as holder:
        if holder is not None:
            log.info("another paperwire run is at work (%s); nothing to do", holder)
            return None
        report = tick(
            app.store,
            settings,
            app.http,
            app.now(),
            transport,
            fetch=fetch,
            force_fetch=force_fetch,
            embedder=embedder,
        )
    show_tick(app, report)
    return report


def _show_fetch(app: AppContext, report: FetchReport | None, *, news: bool) -> None:
    """A fetch's lines: its results when they are `news` (with -v always), warnings only in
    the log (a feed not rebuilt yet is no news at 00:05), problems on stderr."""
    if report is None:
        return
    for result in report.results:
        stored = result.counts.added or result.counts.updated
        if (news and stored and not app.quiet) or app.verbosity:
            click.echo(summarise(result))
    for warning in report.warnings:
        log.info("%s", warning)
    for problem in report.problems:
        click.echo(f"paperwire: error: {problem}", err=True)


def show_tick(app: AppContext, report: TickReport) -> None:
    """Papers stored and digests sent on stdout; problems on stderr; the rest with -v."""
    _show_fetch(app, report.fetched, news=True)
    # Hugging Face's list is refreshed all day long: only -v tells of it.
    _show_fetch(app, report.trending, news=False)
    if report.held:
        click.echo(f"paperwire: error: {hold_notice(report.holes)}", err=True)
    if report.sent is not None:
        show_summary(app, report.sent, news_only=not app.verbosity)
    if app.verbosity and report.due is not None:
        for one, slot in report.due.waiting:
            when = f"{slot:%Y-%m-%d %H:%M %Z}" if slot else "now"
            click.echo(f"  {one.recipient.email}: next digest due {when}")
        for one in report.due.paused:
            click.echo(f"  {one.recipient.email}: paused")


@click.command(
    "run",
    short_help="One cron tick: fetch what is due, send what is due.",
    epilog=examples(
        "paperwire run",
        "*/5 * * * * paperwire run --config /etc/paperwire.toml   # crontab",
    ),
)
@click.option("--no-fetch", is_flag=True, help="Only send; fetch nothing.")
@common_options
@pass_app
def command(app: AppContext, no_fetch: bool) -> None:
    """Fetch arXiv's announcement when a new one is due (and Hugging Face's Daily Papers,
    when enabled or a subscriber's mode is trending), then email each subscriber whose
    digest is due in their time zone.

    Safe every few minutes: overlapping runs never double-send (a lock, and the ledger).
    Prints nothing unless something happened. Exit status 1 when a fetch or a delivery
    failed, or missed announcements could not be fetched (their digests wait).
    """
    setup_logging(app)
    report = run_once(app, fetch=not no_fetch)
    if report is not None and report.failed:
        raise click.exceptions.Exit(1)
