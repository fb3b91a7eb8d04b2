"""`paperwire feedback`: add, list and remove a reader's 👍/👎 on papers, as the readers'
pages record them (scoring.feedback says what the ranker makes of them)."""

from __future__ import annotations

import json

import click

from paperwire.cli import COMMANDS, AppContext, common_options, examples, pass_app
from paperwire.cli.subscribers import synced_subscriptions
from paperwire.scoring.feedback import MIN_JUDGMENTS
from paperwire.store.feedback import DOWN, UP
from paperwire.text import plural


@click.group(
    "feedback",
    short_help=COMMANDS["feedback"][1],
    epilog=examples(
        "paperwire feedback add ada@example.org 2411.01234 2411.05678",
        "paperwire feedback add ada@example.org arXiv:2411.04321v2 --down",
        "paperwire feedback list ada@example.org",
        "paperwire feedback remove ada@example.org 2411.05678",
    ),
)
@common_options
def command() -> None:
    """A reader's judgments of papers: 👍 (more like this) and 👎 (not for me).

    From three judgments on, the ranker learns from them: papers like the liked ones score
    more and are listed ("like 2411.01234 (its title)" in the why line), and papers much more
    like the disliked ones than the liked ones rank lower. The readers' pages record the
    same votes from the buttons under each paper.
    """


def _info(app: AppContext, line: str) -> None:
    if not app.quiet:
        click.echo(line)


def _learning(count: int) -> str:
    if count >= MIN_JUDGMENTS:
        return f"{plural(count, 'judgment')}: the ranker learns from them"
    return f"{plural(count, 'judgment')}: the ranker learns from {MIN_JUDGMENTS} on"


@command.command(
    "add",
    short_help="Record a reader's 👍 (or, with --down, 👎) on papers.",
    epilog=examples(
        "paperwire feedback add ada@example.org 2411.01234 https://arxiv.org/abs/2411.05678",
        "paperwire feedback add ada@example.org 2411.04321 --down",
    ),
)
@click.argument("email")
@click.argument("papers", nargs=-1, required=True, metavar="PAPER...")
@click.option("--up/--down", "up", default=True, help="👍 more like this (default), 👎 not for me.")
@common_options
@pass_app
def add(app: AppContext, email: str, papers: tuple[str, ...], up: bool) -> None:
    """Record the reader EMAIL's vote on each PAPER (an arXiv id or URL, a DOI or doi.org
    link, or a stored paper's key such as doi:10.1101/743294), replacing an earlier vote on
    it. Papers must be in the store; an unknown one records nothing."""
    subscriptions = synced_subscriptions(app)
    found = subscriptions.judge(email, list(papers), UP if up else DOWN)
    mark = "👍" if up else "👎"
    for paper in found:
        _info(app, f"{mark} {paper.arxiv_id or paper.key}  {paper.title}")
    _info(app, _learning(len(subscriptions.judgments(email))))


@command.command(
    "list",
    short_help="List a reader's votes, newest first.",
    epilog=examples(
        "paperwire feedback list ada@example.org",
        "paperwire feedback list ada@example.org --format json",
    ),
)
@click.argument("email")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table: for people; json: each vote with its paper.",
)
@common_options
@pass_app
def list_(app: AppContext, email: str, output_format: str) -> None:
    """List the votes of the reader EMAIL, newest first: the vote, the paper, where it was
    given (web, email, cli) and when."""
    judged = synced_subscriptions(app).judgments(email)
    if output_format == "json":
        rows = [
            {
                "paper": vote.paper,
                "vote": "up" if vote.vote == UP else "down",
                "title": paper.title if paper else None,
                "via": vote.via,
                "at": vote.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            for vote, paper in judged
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if judged:
        from rich.table import Table
        from rich.text import Text

        table = Table(expand=False)
        for column in ("vote", "paper", "title", "via", "when"):
            table.add_column(column, overflow="fold")
        for vote, paper in judged:
            cells = (
                "👍" if vote.vote == UP else "👎",
                vote.paper,
                paper.title if paper else "(no longer stored)",
                vote.via,
                f"{vote.at:%Y-%m-%d %H:%M}",
            )
            table.add_row(*(Text(cell) for cell in cells))  # Text: no markup in titles
        app.result_console.print(table)
    if not app.quiet:
        click.echo(_learning(len(judged)) if judged else "no votes", err=True)


@command.command(
    "remove",
    short_help="Take back a reader's votes on papers.",
    epilog=examples("paperwire feedback remove ada@example.org 2411.01234"),
)
@click.argument("email")
@click.argument("papers", nargs=-1, required=True, metavar="PAPER...")
@common_options
@pass_app
def remove(app: AppContext, email: str, papers: tuple[str, ...]) -> None:
    """Take back the reader EMAIL's vote on each PAPER. A paper they gave no vote is an
    error, and then nothing is removed."""
    subscriptions = synced_subscriptions(app)
    for key in subscriptions.unjudge(email, list(papers)):
        _info(app, f"removed the vote on {key}")
    _info(app, _learning(len(subscriptions.judgments(email))))
