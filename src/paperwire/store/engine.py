"""Open a database by URL and bring its schema up to date with Alembic."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from paperwire.errors import ConfigError, StoreError

_MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets a digest read while a fetch writes; NORMAL is durable at each checkpoint and is
    # what WAL is designed for; busy_timeout makes overlapping cron ticks wait, not fail.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_store_engine(url: str) -> Engine:
    """An Engine for `url`; for a SQLite file, its folder is created and pragmas are set."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        # The raw value is not echoed: it may hold a password.
        raise ConfigError(
            "database.url is not a database URL "
            "(e.g. sqlite:///path/to/file.sqlite3 or postgresql+psycopg://user@host/db)"
        ) from None
    # JSON columns hold real text, not \u escapes: full-text search indexes the authors column,
    # and "Rodríguez" must be found by "rodriguez".
    kwargs: dict[str, Any] = {"json_serializer": partial(json.dumps, ensure_ascii=False)}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            folder = Path(database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"database folder {folder}: {exc.strerror or exc}") from None
    elif parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # A bare postgresql:// URL means psycopg 3, the driver paperwire installs.
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise ConfigError(f"database.url: cannot use {parsed.drivername}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _alembic_config(connection: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def schema_revision(engine: Engine) -> tuple[str | None, str]:
    """(the database's revision, the newest revision this version of paperwire knows)."""
    scripts = ScriptDirectory(str(_MIGRATIONS))
    head = scripts.get_current_head()
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise StoreError(f"database {engine.url.render_as_string()}: {short_error(exc)}") from None
    if current is not None:
        try:
            scripts.get_revision(current)
        except CommandError:
            raise StoreError(
                f"database {engine.url.render_as_string()} is at schema revision {current}, "
                "which this version of paperwire does not know: it was written by a newer one"
            ) from None
    return current, head or ""


def upgrade_schema(engine: Engine) -> bool:
    """Apply pending migrations; return True when anything was applied."""
    current, head = schema_revision(engine)
    try:
        if current == head:
            return False
        with engine.begin() as connection:
            command.upgrade(_alembic_config(connection), "head")
        return True
    except SQLAlchemyError as exc:
        raise StoreError(f"database {engine.url.render_as_string()}: {short_error(exc)}") from None


def short_error(exc: SQLAlchemyError) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
