"""`paperwire run`: one cron tick — fetch what is due, send what is due, quietly."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from paperwire.cli import COMMANDS, AppContext, common_options, examples, pass_app, setup_logging

if TYPE_CHECKING:
    from paperwire.scheduling.tick import TickReport


def run_once(
    app: AppContext, *, fetch: bool = True, force_fetch: bool = False
) -> TickReport | None:
    """One tick under the lock, its news printed; None when another tick holds the lock.

    Shared by `run` and each of `serve`'s jobs. Prints nothing when nothing happened (cron
    mails whatever a job prints): papers stored, digests sent and problems are news.
    """
    from paperwire.cli.output import show_tick

    report = app.paperwire.tick(fetch=fetch, force_fetch=force_fetch)
    if report is not None:
        show_tick(app, report)
    return report


@click.command(
    "run",
    short_help=COMMANDS["run"][1],
    epilog=examples(
        "paperwire run",
        "*/5 * * * * /opt/paperwire/venv/bin/paperwire --config /etc/paperwire.toml run"
        "   # crontab (a full path: cron's PATH is short)",
    ),
)
@click.option("--no-fetch", is_flag=True, help="Only send; fetch nothing.")
@common_options
@pass_app
def command(app: AppContext, no_fetch: bool) -> None:
    """Fetch what each source's calendar says is due (arXiv's announcement; Hugging Face's
    Daily Papers when enabled or a subscriber's mode is trending; each feed at its refresh),
    then deliver each subscriber's digest that is due in their time zone, on their channels
    (email, their Atom feed).

    Safe every few minutes: overlapping runs never double-send (a lock, and the ledger).
    Prints nothing unless something happened. Exit status 1 when a fetch or a delivery
    failed, or missed announcements could not be fetched (their digests wait).
    """
    setup_logging(app)
    report = run_once(app, fetch=not no_fetch)
    if report is not None and report.failed:
        raise click.exceptions.Exit(1)
