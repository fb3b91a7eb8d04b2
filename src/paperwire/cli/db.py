"""`paperwire db`: look at and upgrade the database schema."""

from __future__ import annotations

import click

from paperwire.cli import AppContext, common_options, pass_app, setup_logging
from paperwire.store import open_store


@click.group("db")
def command() -> None:
    """Database schema: paperwire upgrades it by itself; these commands do it by hand.

    \b
    Example:
      paperwire db upgrade
    """


@command.command("upgrade")
@common_options
@pass_app
def upgrade(app: AppContext) -> None:
    """Apply pending migrations to the configured database.

    \b
    Example:
      PAPERWIRE_DATABASE__URL=postgresql+psycopg://paperwire@db/paperwire paperwire db upgrade
    """
    setup_logging(app)
    store = open_store(app.settings.database.url, upgrade=False)
    try:
        before, head = store.schema_revision()
        store.upgrade()
        state = "already at" if before == head else f"upgraded from {before or 'empty'} to"
        app.console.print(f"{store.url}: {state} revision {head}", markup=False)
    finally:
        store.close()


@command.command("status")
@common_options
@pass_app
def status(app: AppContext) -> None:
    """Show the database URL (password hidden), its schema revision and how many papers it holds.

    \b
    Example:
      paperwire db status
    """
    setup_logging(app)
    store = open_store(app.settings.database.url, upgrade=False)
    try:
        current, head = store.schema_revision()
        papers = store.count_papers() if current == head else "?"
        app.console.print(
            f"{store.url}: revision {current or 'none'} (newest {head}), {papers} papers",
            markup=False,
        )
    finally:
        store.close()
