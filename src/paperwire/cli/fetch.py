"""`paperwire fetch`: bring arXiv's announcements into the store and say what changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from paperwire.cli import (
    AppContext,
    common_options,
    examples,
    parse_date,
    pass_app,
    setup_logging,
)
from paperwire.config import check_categories
from paperwire.errors import FetchError, UsageError
from paperwire.sources.arxiv.fetch import FetchReport, Ingestor, RouteResult
from paperwire.sources.arxiv.fetch import Progress as ProgressCallback
from paperwire.sources.arxiv.ids import parse_arxiv_id
from paperwire.sources.huggingface.fetch import TrendingIngestor


def summarise(result: RouteResult) -> str:
    """One line a person reads at a glance."""
    where = f"{result.announced} via {result.route}" if result.announced else result.route
    if result.status in ("stored", "backfilled", "ids"):
        counts = result.counts
        kinds = ", ".join(
            f"{n} {kind}" for kind, n in sorted(counts.by_type.items()) if kind != "unknown"
        )
        line = (
            f"{where}: {counts.added} added, {counts.updated} updated, {counts.unchanged} unchanged"
        )
        line += f" ({kinds})" if kinds else ""
        return line + (f" — {result.note}" if result.note else "")
    if result.route.startswith("huggingface"):
        return f"{where}: {result.note}"
    if result.status == "stale":
        return f"{where}: no new announcement — feed {result.note}"
    return f"{where}: no new announcement — {result.note}"


@contextmanager
def progress_bar(app: AppContext, label: str) -> Iterator[ProgressCallback]:
    """A rich progress bar for long work (API pages, listing pages); silent with -q or off a
    terminal."""
    console = app.err_console
    if app.quiet or not console.is_terminal:
        yield lambda _done, _total: None
        return
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


@click.command(
    "fetch",
    short_help="Fetch arXiv's latest announcement (a backfill, given papers) and trending papers.",
    epilog=examples(
        "paperwire fetch",
        "paperwire fetch -c cs.LG -c stat.ML --route listing",
        "paperwire fetch --since 2026-11-01",
        "paperwire fetch --id 2401.01234 --id 2401.05678",
        "paperwire fetch --source huggingface --date 2026-11-20",
    ),
)
@click.option(
    "--source",
    type=click.Choice(["arxiv", "huggingface", "all"]),
    default=None,
    help="Which source to fetch: arXiv, Hugging Face's Daily Papers, or both. "
    "Default: arXiv, and Hugging Face too when sources.huggingface.enabled.",
)
@click.option(
    "--route",
    type=click.Choice(["auto", "rss", "listing"]),
    default="auto",
    show_default=True,
    help="arXiv's feed, its listing pages, or auto: the feed, and the listing pages "
    "when the feed fails or is stale.",
)
@click.option(
    "-c",
    "--category",
    "categories",
    multiple=True,
    help="arXiv category or archive (repeatable); default: sources.arxiv.categories.",
)
@click.option(
    "--date",
    "on_date",
    callback=parse_date,
    metavar="YYYY-MM-DD",
    help="Make sure this announcement date is stored (older days come from the API); "
    "for Hugging Face, the day papers were featured.",
)
@click.option(
    "--since",
    callback=parse_date,
    metavar="YYYY-MM-DD",
    help="Backfill every announcement since this date from the arXiv API "
    "(Hugging Face: every featured day since).",
)
@click.option(
    "--id",
    "ids",
    multiple=True,
    metavar="ARXIV_ID",
    help="Fetch these papers from the arXiv API (repeatable).",
)
@common_options
@pass_app
def command(
    app: AppContext,
    source: str | None,
    route: str,
    categories: tuple[str, ...],
    on_date: dt.date | None,
    since: dt.date | None,
    ids: tuple[str, ...],
) -> None:
    """Fetch arXiv's announcements (and Hugging Face's Daily Papers) into the database and
    print what was added or updated.

    Safe to repeat: a second fetch of the same day adds nothing (Hugging Face's upvotes are
    updated). Exit status 1 when a source could not be fetched or some papers are missing.
    """
    setup_logging(app)
    if sum(x is not None and x != () for x in (on_date, since, ids)) > 1:
        raise UsageError("give only one of --date, --since and --id")
    settings = app.settings
    if source is None:
        source = "all" if settings.sources.huggingface.enabled and not ids else "arxiv"
    if source == "huggingface" and ids:
        raise UsageError("--id fetches papers from arXiv; use --source arxiv")
    if categories:
        settings.sources.arxiv.categories = check_categories(list(categories), "--category")
    now = app.now()
    report = FetchReport()
    trending = TrendingIngestor(settings.sources.huggingface, app.store, app.http, now)
    # Checked before anything is fetched: a bad --date for one source stops both.
    featured = trending.days(on_date, since) if source != "arxiv" and not ids else []
    if source in ("arxiv", "all"):
        plain_ids = _plain_ids(ids)
        with progress_bar(app, "arXiv") as progress:
            ingestor = Ingestor(settings.sources.arxiv, app.store, app.http, now, progress=progress)
            try:
                report.extend(ingestor.run(route, on_date, since, plain_ids))  # type: ignore[arg-type]
            except FetchError as exc:
                if not featured:
                    raise
                report.problems.append(str(exc))  # Hugging Face is still worth fetching
    if featured:
        report.extend(trending.fetch_days(featured))
    show_report(app, report, to_stderr=False)
    if report.problems:
        raise click.exceptions.Exit(1)


def show_report(app: AppContext, report: FetchReport, *, to_stderr: bool) -> None:
    """A line per route, then warnings and problems on stderr (cron mails what it prints)."""
    console = app.err_console if to_stderr else app.console
    if not app.quiet:
        for result in report.results:
            console.print(summarise(result), markup=False, soft_wrap=True)
    for warning in report.warnings:
        if not app.quiet:
            click.echo(f"paperwire: warning: {warning}", err=True)
    for problem in report.problems:
        click.echo(f"paperwire: error: {problem}", err=True)


def _plain_ids(ids: tuple[str, ...]) -> list[str]:
    try:
        return [parse_arxiv_id(i)[0] for i in ids]
    except ValueError as exc:
        raise UsageError(f"--id: {exc}") from None
