"""`paperwire db`: look at and upgrade the database schema."""

from __future__ import annotations

import click

from paperwire.cli import COMMANDS, AppContext, common_options, examples, pass_app, setup_logging
from paperwire.text import plural


@click.group(
    "db",
    short_help=COMMANDS["db"][1],
    epilog=examples("paperwire db status", "paperwire db upgrade"),
)
@common_options
def command() -> None:
    """Inspect or upgrade the database schema (paperwire also upgrades it by itself)."""


@command.command(
    "upgrade",
    epilog=examples(
        "PAPERWIRE_DATABASE__URL=postgresql+psycopg://paperwire@db/paperwire paperwire db upgrade"
    ),
)
@common_options
@pass_app
def upgrade(app: AppContext) -> None:
    """Apply pending migrations to the configured database."""
    from paperwire.store import open_store

    setup_logging(app)
    with open_store(app.settings.database.url, upgrade=False) as store:
        before, head = store.schema_revision()
        store.upgrade()
        state = "already at" if before == head else f"upgraded from {before or 'empty'} to"
        app.console.print(f"{store.url}: {state} revision {head}", markup=False, soft_wrap=True)


@command.command(
    "status",
    short_help="Show the database, its revision and paper count.",
    epilog=examples("paperwire db status"),
)
@common_options
@pass_app
def status(app: AppContext) -> None:
    """Show the database URL (password hidden), schema revision and number of papers."""
    from paperwire.store import open_store

    setup_logging(app)
    with open_store(app.settings.database.url, upgrade=False) as store:
        current, head = store.schema_revision()
        papers = plural(store.count_papers(), "paper") if current == head else "? papers"
        app.result_console.print(
            f"{store.url}: revision {current or 'none'} (newest {head}), {papers}",
            markup=False,
            soft_wrap=True,
        )
