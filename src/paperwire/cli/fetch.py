"""`paperwire fetch`: bring each source's latest papers into the store and say what changed."""

from __future__ import annotations

import datetime as dt

import click

from paperwire.cli import (
    COMMANDS,
    AppContext,
    common_options,
    examples,
    parse_date,
    pass_app,
    setup_logging,
)


@click.command(
    "fetch",
    short_help=COMMANDS["fetch"][1],
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
    metavar="NAME",
    default=None,
    help="Which source to fetch: arxiv, huggingface (Daily Papers), a [[sources.feeds]] "
    "name, or all. Default: every source in use (arXiv; Hugging Face when enabled; each "
    "configured feed).",
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
    help="Backfill every announcement since this date: from the arXiv API, or its OAI-PMH "
    "harvest (resumable) beyond sources.arxiv.oai_after_days days; Hugging Face: every "
    "featured day since.",
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
    """Fetch each source's latest papers (arXiv's announcement; Hugging Face's Daily Papers
    when enabled; each [[sources.feeds]] feed) into the database and print what was added or
    updated.

    Safe to repeat: a second fetch of the same day adds nothing (Hugging Face's upvotes are
    updated). Exit status 1 when a source could not be fetched or some papers are missing.
    """
    from paperwire.cli.output import progress_bars, show_report
    from paperwire.sources.base import FetchRequest

    setup_logging(app)
    request = FetchRequest(on_date, since, ids, route, categories)
    report = app.paperwire.fetch(source, request, progress=progress_bars(app))
    show_report(app, report, to_stderr=False)
    if report.problems:
        raise click.exceptions.Exit(1)
