"""`paperwire search`: full-text search over the stored papers."""

from __future__ import annotations

import json

import click

from paperwire.cli import COMMANDS, AppContext, common_options, examples, pass_app, setup_logging


@click.command(
    "search",
    short_help=COMMANDS["search"][1],
    epilog=examples(
        "paperwire search 'diffusion -survey'",
        "paperwire search -- diffusion -survey",
        "paperwire search '\"state space\" OR mamba' --format json",
    ),
)
@click.argument("query", nargs=-1, required=True)
@click.option(
    "-n",
    "--limit",
    default=20,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="How many papers to show.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: a table for people; json: each paper's id, source, title, authors, "
    "category, date and links.",
)
@common_options
@pass_app
def command(app: AppContext, query: tuple[str, ...], limit: int, output_format: str) -> None:
    """Search stored papers by title, abstract and authors, best match first.

    Words must all match; use "quoted phrases", -word to exclude and OR for alternatives.
    Quote the query, or put -- before it, when it has a -word. Exit status 1 when nothing
    matches.
    """
    setup_logging(app)
    text = " ".join(query).strip()
    papers = app.paperwire.search(text, limit)
    if output_format == "json":
        rows = [
            {
                "arxiv_id": p.arxiv_id,
                "id": p.key,
                "source": p.source,
                "title": p.title,
                "authors": p.authors,
                "primary_category": p.primary_category,
                "announced": p.announced.isoformat() if p.announced else None,
                "abs_url": p.links.get("abs"),
                "url": p.url or None,
            }
            for p in papers
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif papers:
        from rich.table import Table
        from rich.text import Text

        table = Table(show_lines=False, expand=False)
        for column in ("id", "announced", "title", "authors"):
            table.add_column(column, overflow="fold")
        for p in papers:
            authors = ", ".join(p.authors[:3]) + (" …" if len(p.authors) > 3 else "")
            cells = (p.arxiv_id or p.key, str(p.announced or ""), p.title, authors)
            table.add_row(*(Text(cell) for cell in cells))  # Text: titles are not markup
        app.result_console.print(table)
    if not papers:
        click.echo(f"paperwire: nothing stored matches {text!r}", err=True)
        raise click.exceptions.Exit(1)
