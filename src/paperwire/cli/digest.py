"""`paperwire digest`: one reader's ranked papers, fetched first when the store lacks the day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from rich.table import Table

from paperwire.arxiv_calendar import latest_announcement_date
from paperwire.cli import AppContext, common_options, parse_date, pass_app, setup_logging
from paperwire.cli.fetch import summarise
from paperwire.config import check_categories
from paperwire.digest import build_digest, digest_json, render_markdown
from paperwire.errors import UsageError
from paperwire.ingest import Ingestor, feed_key
from paperwire.models import Digest, Profile


@click.command("digest")
@click.option("--subscriber", metavar="EMAIL", help="Use this configured subscriber's profile.")
@click.option("-c", "--category", "categories", multiple=True, help="arXiv category (repeatable).")
@click.option("-k", "--keyword", "keywords", multiple=True, help="Keyword or phrase (repeatable).")
@click.option("--author", "authors", multiple=True, help="Author to follow (repeatable).")
@click.option("--exclude", multiple=True, help="Leave out papers mentioning this (repeatable).")
@click.option(
    "--date",
    "on_date",
    callback=parse_date,
    metavar="YYYY-MM-DD",
    help="Announcement date (default: the latest).",
)
@click.option(
    "--since",
    callback=parse_date,
    metavar="YYYY-MM-DD",
    help="Every announcement from this date to the latest.",
)
@click.option(
    "--limit", type=click.IntRange(1), help="At most this many papers (default: digest.max_papers)."
)
@click.option("--min-score", type=float, help="Leave out papers scoring below this.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="text: a table; markdown; json (see SPEC).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.option("--no-fetch", is_flag=True, help="Use only what the store holds.")
@common_options
@pass_app
def command(
    app: AppContext,
    subscriber: str | None,
    categories: tuple[str, ...],
    keywords: tuple[str, ...],
    authors: tuple[str, ...],
    exclude: tuple[str, ...],
    on_date: dt.date | None,
    since: dt.date | None,
    limit: int | None,
    min_score: float | None,
    output_format: str,
    output: Path | None,
    no_fetch: bool,
) -> None:
    """Print one digest: a configured subscriber's, or one described by flags.

    Fetches the announcement first when the store lacks it. Works with no configuration file.

    \b
    Example:
      paperwire digest -c cs.LG -k "diffusion" -k "score matching" --limit 10
    """
    setup_logging(app)
    if on_date and since:
        raise UsageError("give --date or --since, not both")
    settings = app.settings
    profile = _profile(app, subscriber, categories, keywords, authors, exclude)
    arxiv = settings.sources.arxiv
    if profile.categories:
        arxiv.categories = check_categories(profile.categories, "--category")
    now = app.now()
    last = on_date or latest_announcement_date(now)
    first = on_date or since or last
    if not no_fetch and app.store.feed_day(feed_key(arxiv.categories), last) is None:
        ingestor = Ingestor(arxiv, app.store, app.http, now)
        report = ingestor.fetch_latest("auto")
        for result in report.results:
            app.err_console.print(summarise(result), markup=False, soft_wrap=True)
        if first not in {r.announced for r in report.results} and (since or on_date):
            ingestor.backfill(first, last)
        stored = [r.announced for r in report.results if r.announced]
        if not (since or on_date) and stored:
            first = last = max(stored)
    digest = build_digest(
        app.store,
        profile,
        first,
        last,
        now=now,
        limit=limit or settings.digest.max_papers,
        min_score=settings.digest.min_score if min_score is None else min_score,
        announce_types=[t.value for t in arxiv.announce_types],
    )
    _emit(app, digest, output_format, output)


def _profile(
    app: AppContext,
    subscriber: str | None,
    categories: tuple[str, ...],
    keywords: tuple[str, ...],
    authors: tuple[str, ...],
    exclude: tuple[str, ...],
) -> Profile:
    profile = Profile()
    if subscriber:
        match = [s for s in app.settings.subscribers if s.email.lower() == subscriber.lower()]
        if not match:
            raise UsageError(f"--subscriber: no subscriber {subscriber!r} in the configuration")
        found = match[0]
        profile = Profile(
            list(found.categories),
            list(found.keywords),
            list(found.exclude),
            list(found.authors),
            found.email,
        )
    profile.categories = list(categories) or profile.categories
    profile.keywords += list(keywords)
    profile.exclude += list(exclude)
    profile.authors += list(authors)
    return profile


def _emit(app: AppContext, digest: Digest, output_format: str, output: Path | None) -> None:
    if output_format == "json":
        text = digest_json(digest) + "\n"
    elif output_format == "markdown" or output is not None:
        text = render_markdown(digest)
    else:
        app.console.print(_table(digest))
        return
    if output is None:
        click.echo(text, nl=False)
        return
    # Write beside the target and rename, so a failed write never leaves half a file.
    partial = output.with_name(output.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(output)
    app.err_console.print(f"wrote {output}", markup=False)


def _table(digest: Digest) -> Table:
    window = str(digest.window_from)
    if digest.window_to != digest.window_from:
        window += f" to {digest.window_to}"
    table = Table(
        title=f"arXiv {window}: {len(digest.papers)} of {digest.announced_count} papers",
        expand=False,
    )
    for column in ("#", "score", "arXiv id", "title", "authors", "matched"):
        table.add_column(column, overflow="fold")
    for rank, item in enumerate(digest.papers, 1):
        authors = ", ".join(item.paper.authors[:2]) + (" …" if len(item.paper.authors) > 2 else "")
        table.add_row(
            str(rank),
            f"{item.score:g}",
            item.paper.arxiv_id,
            item.paper.title,
            authors,
            ", ".join(item.matched),
        )
    return table
