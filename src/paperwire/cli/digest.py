"""`paperwire digest`: one reader's ranked papers, fetched first when the store lacks the day."""

from __future__ import annotations

import datetime as dt
import tempfile
import webbrowser
from pathlib import Path

import click
from click.core import ParameterSource
from rich.table import Table
from rich.text import Text

from paperwire.cli import (
    AppContext,
    common_options,
    examples,
    parse_date,
    pass_app,
    setup_logging,
    write_output,
)
from paperwire.cli.fetch import show_report
from paperwire.cli.send import show_summary
from paperwire.config import SubscriberSettings, check_categories
from paperwire.delivery.batch import Recipient, SendSummary, choose_transport, send_digest
from paperwire.digest.formats import digest_json, render_html, render_markdown, render_text
from paperwire.digest.select import DigestBuilder
from paperwire.errors import ProfileError, UsageError
from paperwire.models import Digest, Profile
from paperwire.scoring.semantic import load_embedder
from paperwire.scoring.syntax import parse_query, split_weight
from paperwire.scoring.trending import has_topics
from paperwire.sources.arxiv.calendar import latest_announcement_date
from paperwire.sources.arxiv.fetch import FetchReport, Ingestor, feed_key
from paperwire.sources.arxiv.ids import parse_arxiv_id
from paperwire.sources.huggingface.fetch import TrendingIngestor, latest_final_day, needs_fetch


@click.command(
    "digest",
    short_help="Print a ranked digest for a subscriber or for flags.",
    epilog=examples(
        'paperwire digest -c cs.LG -k "diffusion" -k "score matching^2" --limit 10',
        "paperwire digest -c cs.LG --like 2401.01234 --format json",
        """paperwire digest -c q-bio --query '("graph neural" OR GNN) AND protein NOT survey'""",
        "paperwire digest --since 2026-11-16 --format markdown -o week.md",
        'paperwire digest -c cs.LG -k "diffusion" --open',
        "paperwire digest --subscriber ada@example.org --send",
        'paperwire digest --trending -k "agents" --only-matching',
    ),
)
@click.option("--subscriber", metavar="EMAIL", help="Use this configured subscriber's profile.")
@click.option("-c", "--category", "categories", multiple=True, help="arXiv category (repeatable).")
@click.option(
    "-k",
    "--keyword",
    "keywords",
    multiple=True,
    help='Keyword or phrase, optionally weighted: "LoRA^2" (repeatable).',
)
@click.option("--author", "authors", multiple=True, help="Author to follow (repeatable).")
@click.option("--exclude", multiple=True, help="Leave out papers mentioning this (repeatable).")
@click.option(
    "--query",
    help="Boolean filter, e.g. '(\"graph neural\" OR GNN) AND protein NOT survey'.",
)
@click.option("--description", help="A few sentences on what you work on.")
@click.option(
    "--like",
    "likes",
    multiple=True,
    metavar="ARXIV_ID",
    help="A paper that defines your topic by example (repeatable).",
)
@click.option(
    "--semantic/--no-semantic",
    default=None,
    help="Add sentence-embedding similarity (needs paperwire[semantic]; "
    "default: scoring.semantic).",
)
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
    type=click.Choice(["text", "html", "markdown", "json"]),
    default="text",
    show_default=True,
    help="text: a table on the terminal (plain text when written with -o); html: the email; "
    "markdown; json.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.option(
    "--open",
    "open_browser",
    is_flag=True,
    help="Open the digest (as HTML) in a web browser; written to -o FILE or a temporary file.",
)
@click.option(
    "--trending",
    is_flag=True,
    help="Hugging Face's Daily Papers, most upvoted first, papers on your topics ranked "
    "higher (--date and --since then name featured days).",
)
@click.option(
    "--only-matching",
    is_flag=True,
    help="With --trending: only the papers on your topics.",
)
@click.option("--no-fetch", is_flag=True, help="Use only what the store holds.")
@click.option(
    "--send",
    is_flag=True,
    help="Email this digest to the --subscriber (recorded like `paperwire send`: papers "
    "already received are left out).",
)
@common_options
@pass_app
@click.pass_context
def command(
    ctx: click.Context,
    app: AppContext,
    subscriber: str | None,
    categories: tuple[str, ...],
    keywords: tuple[str, ...],
    authors: tuple[str, ...],
    exclude: tuple[str, ...],
    query: str | None,
    description: str | None,
    likes: tuple[str, ...],
    semantic: bool | None,
    on_date: dt.date | None,
    since: dt.date | None,
    limit: int | None,
    min_score: float | None,
    output_format: str,
    output: Path | None,
    open_browser: bool,
    trending: bool,
    only_matching: bool,
    no_fetch: bool,
    send: bool,
) -> None:
    """Print one digest: a configured subscriber's, or one described by flags.

    Fetches the announcement first when the store lacks it. Works with no configuration file.
    """
    setup_logging(app)
    if on_date and since:
        raise UsageError("give --date or --since, not both")
    if send and not subscriber:
        raise UsageError("--send needs --subscriber EMAIL: the subscriber it goes to")
    settings = app.settings
    configured = _subscriber(app, subscriber) if subscriber else None
    if configured is not None and configured.mode == "trending":
        trending = True
        only_matching = only_matching or configured.trending_filter
    if only_matching and not trending:
        raise UsageError("--only-matching goes with --trending")
    profile = _profile(app, subscriber, categories, keywords, authors, exclude)
    if query is not None:
        profile.query = _checked_query(query)
    if description is not None:
        profile.description = description
    profile.like += [_arxiv_id(i) for i in likes]
    embedder = None
    if settings.scoring.semantic if semantic is None else semantic:
        embedder = load_embedder()  # before fetching: a missing extra fails fast
    arxiv = settings.sources.arxiv
    if profile.categories:
        check_categories(profile.categories, "--category")
        arxiv.categories = [split_weight(c)[0] for c in profile.categories]
    else:  # no -c and no subscriber categories: the configured ones
        profile.categories = list(arxiv.categories)
    now = app.now()
    key = feed_key(arxiv.categories)
    report = FetchReport()
    # "none": the calendar expected the day but no source showed it yet; look again.
    stored = app.store.feed_day(key, on_date or latest_announcement_date(now))
    if trending:
        if only_matching and not has_topics(profile):
            raise UsageError(
                "--only-matching needs topics: --keyword, --author, --query, --description "
                "or --like"
            )
        report, featured = _fetch_trending(app, on_date, since, no_fetch=no_fetch, send=send)
    elif not no_fetch and stored in (None, "none"):
        ingestor = Ingestor(arxiv, app.store, app.http, now)
        report = ingestor.run("auto", on_date, since)
        show_report(app, report, to_stderr=True)
    stored_likes = app.store.get_papers(profile.like) if profile.like else {}
    missing_likes = [i for i in profile.like if i not in stored_likes]
    if missing_likes and not no_fetch:  # liked papers define the topic: fetch their text
        liked_report = Ingestor(arxiv, app.store, app.http, now).run(ids=missing_likes)
        show_report(app, liked_report, to_stderr=True)
        report.problems += liked_report.problems
    if trending:
        last = on_date or featured
        first = on_date or since or last
    else:
        newest = app.store.latest_feed_day(key, ("announced",))
        last = on_date or (newest[0] if newest else latest_announcement_date(now))
        first = on_date or since or last
    builder = DigestBuilder.from_settings(app.store, settings, now=now, embedder=embedder)
    digest = builder.build(
        profile,
        first,
        last,
        limit=limit or settings.digest.max_papers,
        min_score=settings.digest.min_score if min_score is None else min_score,
        skip=app.store.ledger.received(profile.email or "") if send else (),
        trending=trending,
        only_matching=only_matching,
    )
    if digest.announced_count == 0 and not app.quiet:
        if trending:
            hint = "" if no_fetch else " (try paperwire fetch --source huggingface --date)"
            click.echo(f"paperwire: nothing stored was featured {_window(digest)}{hint}", err=True)
        else:
            hint = "" if no_fetch else " (try paperwire fetch --date or --since)"
            click.echo(f"paperwire: nothing stored was announced {_window(digest)}{hint}", err=True)
    explicit = ctx.get_parameter_source("output_format") != ParameterSource.DEFAULT
    if open_browser:
        _open(app, digest, output_format if explicit else "html", output)
    elif not send or explicit or output is not None:
        _emit(app, digest, output_format, output)
    failed = bool(report.problems)
    if send:
        summary = _send(app, digest, subscriber or "")
        failed = failed or summary.failed
    if failed:
        raise click.exceptions.Exit(1)


def _fetch_trending(
    app: AppContext,
    on_date: dt.date | None,
    since: dt.date | None,
    *,
    no_fetch: bool,
    send: bool,
) -> tuple[FetchReport, dt.date]:
    """Fetch the featured days a trending digest needs and the store lacks (or holds from
    before their upvotes last settled): (what was fetched, the day the digest ends on).

    Without --date or --since that is the newest day with papers (today's list may still be
    empty in the morning, so the day before is fetched too); with --send, the newest day
    that has ended, as `send` would choose: a list still growing is never sent."""
    now = app.now()
    hf = app.settings.sources.huggingface
    ingestor = TrendingIngestor(hf, app.store, app.http, now)
    wanted = ingestor.days(on_date, since)  # checks --date and --since
    last_final = latest_final_day(now)
    if send and wanted[-1] > last_final:
        if on_date is not None or since == wanted[-1]:
            raise UsageError(
                f"--send: Hugging Face's list of {wanted[-1]} is still growing; "
                f"the newest finished day is {last_final}"
            )
        wanted = [day for day in wanted if day <= last_final] if since else [last_final]
    elif on_date is None and since is None and wanted[-1] > last_final:
        wanted = [last_final, *wanted]
    report = FetchReport()
    if not no_fetch:
        records = app.store.trending_days(wanted[0], wanted[-1]) if wanted else {}
        refresh = dt.timedelta(minutes=hf.refresh)
        # As `run` decides, except that a failed day is tried again at once: it was asked for.
        stale = [
            day
            for day in wanted
            if needs_fetch(day, records.get(day), now, refresh=refresh, retry=dt.timedelta(0))
        ]
        if stale:
            report = ingestor.fetch_days(stale)
            show_report(app, report, to_stderr=True)
    if on_date is not None or since is not None or send:
        return report, wanted[-1]
    records = app.store.trending_days(wanted[-1] - dt.timedelta(days=14), wanted[-1])
    featured = [day for day, record in records.items() if record.status == "featured"]
    return report, max(featured, default=wanted[-1])


def _send(app: AppContext, digest: Digest, subscriber: str) -> SendSummary:
    configured = _subscriber(app, subscriber)
    recipient = Recipient(configured.email, configured.name, digest.profile)
    transport = choose_transport(app.settings)
    summary = send_digest(app.store, app.settings, recipient, digest, transport, app.now())
    show_summary(app, summary)
    return summary


def _subscriber(app: AppContext, email: str) -> SubscriberSettings:
    """The subscriber with this address (any case): the configuration file's, else one
    added with `paperwire subscribers add`."""
    for configured in app.settings.subscribers:
        if configured.email.lower() == email.lower():
            return configured
    stored = app.store.subscribers.get(email)
    if stored is not None:
        return stored.settings
    raise UsageError(
        f"--subscriber: no subscriber {email!r} in the configuration or the database "
        "(see paperwire subscribers list)"
    )


def _profile(
    app: AppContext,
    subscriber: str | None,
    categories: tuple[str, ...],
    keywords: tuple[str, ...],
    authors: tuple[str, ...],
    exclude: tuple[str, ...],
) -> Profile:
    profile = _subscriber(app, subscriber).profile() if subscriber else Profile()
    profile.categories = list(categories) or profile.categories
    profile.keywords += list(keywords)
    profile.exclude += list(exclude)
    profile.authors += list(authors)
    return profile


def _checked_query(query: str) -> str:
    try:
        parse_query(query)
    except ProfileError as exc:
        raise UsageError(f"--query: {exc}") from None
    return query


def _arxiv_id(text: str) -> str:
    try:
        return parse_arxiv_id(text)[0]
    except ValueError as exc:
        raise UsageError(f"--like: {exc}") from None


def _emit(app: AppContext, digest: Digest, output_format: str, output: Path | None) -> None:
    if output_format == "json":
        text = digest_json(digest) + "\n"
    elif output_format == "markdown":
        text = render_markdown(digest)
    elif output_format == "html":
        text = render_html(digest)
    elif output is not None:
        text = render_text(digest)
    else:
        app.console.print(_table(digest))
        return
    if output is None:
        click.echo(text, nl=False)
        return
    write_output(output, text)
    app.err_console.print(f"wrote {output}", markup=False)


def _open(app: AppContext, digest: Digest, output_format: str, output: Path | None) -> None:
    """Write the digest to `output` (or a new temporary file) and hand it to a browser."""
    if output is None:
        suffix = {"html": ".html", "markdown": ".md", "json": ".json"}.get(output_format, ".txt")
        folder = Path(tempfile.mkdtemp(prefix="paperwire-"))
        output = folder / f"digest-{digest.window_to}{suffix}"
    _emit(app, digest, output_format, output)
    if not webbrowser.open(output.resolve().as_uri()):
        click.echo(f"paperwire: warning: no web browser found; open {output} yourself", err=True)


def _window(digest: Digest) -> str:
    if digest.window_to == digest.window_from:
        return f"on {digest.window_from}"
    return f"from {digest.window_from} to {digest.window_to}"


def _table(digest: Digest) -> Table:
    where = "Hugging Face, featured" if digest.trending else "arXiv, announced"
    table = Table(
        title=f"{where} {_window(digest)}: {len(digest.papers)} of {digest.announced_count} papers",
        expand=False,
    )
    upvotes = digest.trending or any(item.paper.trending for item in digest.papers)
    columns = ["#", "score", "arXiv id", "title", "authors", "matched"]
    if upvotes:
        columns[2:2] = ["upvotes"]
    for column in columns:
        table.add_column(
            column, overflow="fold", justify="right" if column == "upvotes" else "left"
        )
    for rank, item in enumerate(digest.papers, 1):
        authors = ", ".join(item.paper.authors[:2]) + (" …" if len(item.paper.authors) > 2 else "")
        row = [
            str(rank),
            f"{item.score:.1f}",
            item.paper.arxiv_id,
            item.paper.title,
            authors,
            ", ".join(item.matched),
        ]
        if upvotes:
            hf = item.paper.trending
            row[2:2] = [str(hf.upvotes) if hf else ""]
        table.add_row(*(Text(cell) for cell in row))  # Text: a "[b]" in a title is no markup
    return table
