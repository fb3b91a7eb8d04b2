"""`paperwire digest`: one reader's ranked papers, fetched first when the store lacks the day."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from paperwire.cli import (
    COMMANDS,
    AppContext,
    common_options,
    examples,
    parse_date,
    pass_app,
    setup_logging,
    write_output,
)
from paperwire.errors import UsageError
from paperwire.text import plural

if TYPE_CHECKING:
    from rich.table import Table

    from paperwire.models import Digest, Profile, Reader


@click.command(
    "digest",
    short_help=COMMANDS["digest"][1],
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
    help="Deliver this digest to the --subscriber on their channels (email, their Atom feed), "
    "recorded like `paperwire send`: papers already delivered are left out.",
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
    from paperwire.cli.output import show_report, show_summary
    from paperwire.models import Profile

    setup_logging(app)
    pw = app.paperwire
    reader = _reader(app, subscriber) if subscriber else None
    profile = _profile(reader.profile if reader else Profile(), categories, keywords)
    profile.authors += list(authors)
    profile.exclude += list(exclude)
    if query is not None:
        profile.query = _checked_query(query)
    if description is not None:
        profile.description = description
    profile.like += [_paper_id(i) for i in likes]
    who: Profile | Reader = dataclasses.replace(reader, profile=profile) if reader else profile
    result = pw.digest(
        who,
        kind="trending" if trending else None,
        date=on_date,
        since=since,
        limit=limit,
        min_score=min_score,
        only_matching=True if only_matching else None,
        semantic=semantic,
        fetch=not no_fetch,
        send=send,
    )
    show_report(app, result.fetched, to_stderr=True)
    digest = result.digest
    if digest.announced_count == 0 and not app.quiet:
        from paperwire.digest.kinds import kind_named

        kind_object = kind_named(digest.kind)
        hint = "" if no_fetch else f" (try {kind_object.fetch_hint})"
        click.echo(
            f"paperwire: nothing stored was {kind_object.days_noun} {_window(digest)}{hint}",
            err=True,
        )
    explicit = ctx.get_parameter_source("output_format") != ParameterSource.DEFAULT
    if open_browser:
        _open(app, digest, output_format if explicit else "html", output)
    elif not send or explicit or output is not None:
        _emit(app, digest, output_format, output)
    if result.sent is not None:
        show_summary(app, result.sent)
    if result.failed:
        raise click.exceptions.Exit(1)


def _reader(app: AppContext, email: str) -> Reader:
    found = app.paperwire.reader(email)
    if found is None:
        raise UsageError(
            f"--subscriber: no subscriber {email!r} in the configuration or the database "
            "(see paperwire subscribers list)"
        )
    return found


def _profile(base: Profile, categories: tuple[str, ...], keywords: tuple[str, ...]) -> Profile:
    """A copy of `base` (never the reader's own lists) with the flags' categories and
    keywords."""
    profile = dataclasses.replace(
        base,
        categories=list(categories) or list(base.categories),
        keywords=[*base.keywords, *keywords],
        exclude=list(base.exclude),
        authors=list(base.authors),
        like=list(base.like),
    )
    return profile


def _checked_query(query: str) -> str:
    from paperwire.errors import ProfileError
    from paperwire.syntax import parse_query

    try:
        parse_query(query)
    except ProfileError as exc:
        raise UsageError(f"--query: {exc}") from None
    return query


def _paper_id(text: str) -> str:
    from paperwire.sources.arxiv.ids import parse_arxiv_id

    try:
        return parse_arxiv_id(text)[0]
    except ValueError as exc:
        raise UsageError(f"--like: {exc}") from None


def _emit(app: AppContext, digest: Digest, output_format: str, output: Path | None) -> None:
    from paperwire.digest.formats import render

    if output_format == "text" and output is None:
        app.result_console.print(_table(digest))
        return
    text = render(digest, output_format)
    if output is None:
        click.echo(text, nl=False)
        return
    write_output(output, text)
    if not app.quiet:
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
    from rich.table import Table
    from rich.text import Text

    from paperwire.digest.kinds import kind_named

    kind = kind_named(digest.kind)
    table = Table(
        title=f"{kind.title(digest)}, {kind.days_noun} {_window(digest)}: "
        f"{len(digest.papers)} of {plural(digest.announced_count, 'paper')}",
        expand=False,
    )
    upvotes = digest.kind == "trending" or any(item.paper.trending for item in digest.papers)
    columns = ["#", "score", "id", "title", "authors", "matched"]
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
            item.paper.arxiv_id or item.paper.key,
            item.paper.title,
            authors,
            ", ".join(item.matched),
        ]
        if upvotes:
            hf = item.paper.trending
            row[2:2] = [str(hf.upvotes) if hf else ""]
        table.add_row(*(Text(cell) for cell in row))  # Text: a "[b]" in a title is no markup
    return table
