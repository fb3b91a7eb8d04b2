"""What the commands print, shared: fetch reports, send summaries, ticks, progress bars.

Results go to stdout; problems to stderr as "paperwire: error: …" lines (cron mails what a job
prints, so quiet commands print nothing when nothing happened).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from paperwire.cli import AppContext
from paperwire.text import plural

if TYPE_CHECKING:
    from paperwire.delivery.base import Outcome, SendSummary
    from paperwire.scheduling.tick import TickReport
    from paperwire.sources.base import FetchReport, Progress, ProgressFactory

log = logging.getLogger("paperwire.cli")


def show_report(app: AppContext, report: FetchReport, *, to_stderr: bool) -> None:
    """A line per route, then warnings and problems on stderr."""
    console = app.err_console if to_stderr else app.console
    if not app.quiet:
        for result in report.results:
            console.print(result.summary(), markup=False, soft_wrap=True)
    for warning in report.warnings:
        if not app.quiet:
            click.echo(f"paperwire: warning: {warning}", err=True)
    for problem in report.problems:
        click.echo(f"paperwire: error: {problem}", err=True)


def progress_bars(app: AppContext) -> ProgressFactory:
    """A ProgressFactory (sources.base) drawing rich progress bars for long work (API pages,
    listing pages); silent with -q or off a terminal."""

    @contextmanager
    def bar(label: str) -> Iterator[Progress]:
        console = app.err_console
        if app.quiet or not console.is_terminal:
            yield lambda _done, _total: None
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task(label, total=None)
            yield lambda done, total: progress.update(task, completed=done, total=total)

    return bar


def window(outcome: Outcome) -> str:
    if outcome.window is None:
        return ""
    first, last = outcome.window
    return str(first) if first == last else f"{first} to {last}"


def show_summary(app: AppContext, summary: SendSummary, *, news_only: bool = False) -> None:
    """The closing summary: one line of what went out on stdout (silent with -q); one line
    per failed or deferred digest, and a channel's problem, on stderr. With `news_only` (a
    cron tick), readers with nothing new are not mentioned."""
    from paperwire.delivery.base import NOT_TRIED
    from paperwire.delivery.base import OutcomeStatus as Status

    sent = [o for o in summary.outcomes if o.status == Status.SENT]
    parts = []
    if sent:
        papers = sum(o.papers for o in sent)
        parts.append(
            f"sent {plural(len(sent), 'digest')} ({plural(papers, 'paper')}) "
            f"via {summary.transport}"
        )
    planned = [o for o in summary.outcomes if o.status == Status.PLANNED]
    if planned:  # recorded for senders to deliver (send --plan-only)
        papers = sum(o.papers for o in planned)
        parts.append(f"planned {plural(len(planned), 'digest')} ({plural(papers, 'paper')})")
    skipped = [o.subscriber for o in summary.outcomes if o.status == Status.SKIPPED]
    if news_only:
        skipped = []
    if skipped:
        parts.append(f"nothing matched for {len(skipped)}: {', '.join(skipped)}")
    nothing = [o for o in summary.outcomes if o.status == Status.NOTHING]
    taken = [o for o in nothing if o.detail]
    if news_only:
        nothing = taken = []
    if len(nothing) > len(taken):
        parts.append(f"nothing new for {plural(len(nothing) - len(taken), 'subscriber')}")
    parts += [f"{o.subscriber} {o.detail}" for o in taken]
    if parts and not app.quiet:
        click.echo("; ".join(parts))
    if app.verbosity and not app.quiet:
        for outcome in sent:
            click.echo(
                f"  {outcome.subscriber}: {plural(outcome.papers, 'paper')}, {window(outcome)}: "
                f"{outcome.detail}"
            )
    for problem in summary.problems:  # the cause first (a server that cannot be reached)
        click.echo(f"paperwire: error: {problem}", err=True)
    for outcome in (o for o in summary.outcomes if o.status == Status.FAILED):
        since = f" --since {outcome.window[0]}" if outcome.window else ""
        click.echo(
            f"paperwire: failed: {outcome.subscriber} ({window(outcome)}): {outcome.detail}; "
            f"its papers go into their next digest, or now, once fixed: "
            f"paperwire digest --subscriber {outcome.subscriber}{since} --send",
            err=True,
        )
    deferred = [o for o in summary.outcomes if o.status == Status.DEFERRED]
    untried = [o for o in deferred if o.detail == NOT_TRIED]
    for outcome in (o for o in deferred if o.detail != NOT_TRIED):
        click.echo(
            f"paperwire: will retry: {outcome.subscriber} ({window(outcome)}): {outcome.detail}",
            err=True,
        )
    if untried:
        readers = ", ".join(dict.fromkeys(o.subscriber for o in untried))
        click.echo(
            f"paperwire: will retry: {plural(len(untried), 'digest')} not tried ({readers}): "
            "they wait for the next run",
            err=True,
        )


def _show_fetch(app: AppContext, report: FetchReport, *, news: bool) -> None:
    """A fetch's lines: its results when they are `news` (with -v always), warnings only in
    the log (a feed not rebuilt yet is no news at 00:05), problems on stderr."""
    for result in report.results:
        stored = result.counts.added or result.counts.updated
        if (news and stored and not app.quiet) or app.verbosity:
            click.echo(result.summary())
    for warning in report.warnings:
        log.info("%s", warning)
    for problem in report.problems:
        click.echo(f"paperwire: error: {problem}", err=True)


def show_tick(app: AppContext, report: TickReport) -> None:
    """Papers stored and digests sent on stdout; problems on stderr; the rest with -v."""
    from paperwire.scheduling.tick import hold_notice

    for fetched in report.fetched:
        # A list refreshed all day long (Hugging Face's): only -v tells of it.
        _show_fetch(app, fetched.report, news=fetched.source.newsworthy)
    if report.held:
        click.echo(f"paperwire: error: {hold_notice(report.holes)}", err=True)
    if report.sent is not None:
        show_summary(app, report.sent, news_only=not app.verbosity)
    if app.verbosity and report.due is not None:
        for one, slot in report.due.waiting:
            when = f"{slot:%Y-%m-%d %H:%M %Z}" if slot else "now"
            click.echo(f"  {one.email}: next digest due {when}")
        for one in report.due.paused:
            click.echo(f"  {one.email}: paused")


def slot_text(slot: dt.datetime | None) -> str:
    return f"not before {slot:%Y-%m-%d %H:%M %Z}" if slot else ""
