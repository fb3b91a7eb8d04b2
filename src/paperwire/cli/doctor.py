"""`paperwire doctor`: check configuration, database, SMTP login and sources in one table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from paperwire.cli import COMMANDS, AppContext, common_options, examples, pass_app, setup_logging
from paperwire.text import plural

if TYPE_CHECKING:
    from rich.table import Table

    from paperwire.doctor import Check

# The parts `--skip` may leave out (doctor.SECTIONS, without importing it for --help).
SECTIONS = ("database", "smtp", "sources")

_STYLES = {"ok": "green", "warn": "yellow", "fail": "bold red", "skip": "dim"}


@click.command(
    "doctor",
    short_help=COMMANDS["doctor"][1],
    epilog=examples(
        "paperwire doctor",
        "paperwire doctor --skip sources",
        "PAPERWIRE_SMTP__PASSWORD=... paperwire doctor --skip sources --skip database",
    ),
)
@click.option(
    "--skip",
    type=click.Choice(SECTIONS),
    multiple=True,
    help="Leave out a part of the checks (repeatable).",
)
@common_options
@pass_app
def command(app: AppContext, skip: tuple[str, ...]) -> None:
    """Check that paperwire can work here, changing nothing: which configuration is used, the
    database and its migrations, SMTP connect and login (no mail is sent, or the outbox when
    smtp.host is empty), and one request to each source.

    Passwords are never shown. Exit status 1 when any check failed (a warning does not fail).
    """
    from paperwire.config import find_config_file

    setup_logging(app)
    config_path = find_config_file(app.config_path, app.env, Path.cwd())
    checks = app.paperwire.doctor(skip, config_path)
    app.console.print(_table(checks))
    failed = [check for check in checks if check.failed]
    warned = sum(check.status == "warn" for check in checks)
    if app.quiet:
        for check in failed:
            click.echo(f"paperwire: doctor: {check.name}: {check.detail}", err=True)
    else:
        app.console.print(_summary(len(failed), warned), markup=False, highlight=False)
    if failed:
        raise click.exceptions.Exit(1)


def _table(checks: list[Check]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="paperwire doctor")
    table.add_column("check", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("detail", overflow="fold")
    for check in checks:
        # Text, not markup: a detail such as "[Errno 111]" or "[::1]" must print as it is.
        table.add_row(
            check.name, Text(check.status, style=_STYLES[check.status]), Text(check.detail)
        )
    return table


def _summary(failed: int, warned: int) -> str:
    if not failed and not warned:
        return "all checks passed"
    parts = []
    if failed:
        parts.append(f"{plural(failed, 'check')} failed")
    if warned:
        parts.append(plural(warned, "warning"))
    return ", ".join(parts)
