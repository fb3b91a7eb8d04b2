"""Open a database by URL and bring its schema up to date with Alembic."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from paperwire.errors import ConfigError, StoreError, database_reason

_MIGRATIONS = Path(__file__).parent / "migrations"
# The migrations this version knows, oldest first; the last is the schema it needs. Kept here
# so that opening an up-to-date database costs one query, not an import of Alembic (a tenth
# of a second on every cron tick); a test checks it against migrations/versions.
REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007")
HEAD = REVISIONS[-1]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets a digest read while a fetch writes; NORMAL is durable at each checkpoint and is
    # what WAL is designed for; busy_timeout makes overlapping cron ticks wait, not fail.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_store_engine(url: str, *, connections: int | None = None) -> Engine:
    """An Engine for `url`; for a SQLite file, its folder is created and pragmas are set.
    `connections`: the pool's size (connections kept open), when not SQLAlchemy's 5."""
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
    if parsed.get_backend_name() == "postgresql":
        # A connection the server closed (a restart, a killed session) is noticed when taken
        # from the pool and replaced, instead of failing the next query.
        kwargs["pool_pre_ping"] = True
    if connections is not None and (parsed.database or "") != ":memory:":
        # More threads than pooled connections open and close one (and set its pragmas) at
        # every request.
        kwargs |= {"pool_size": connections, "max_overflow": connections}
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise ConfigError(f"database.url: cannot use {parsed.drivername}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def schema_revision(engine: Engine) -> tuple[str | None, str]:
    """(the database's revision, the newest revision this version of paperwire knows)."""
    try:
        with engine.connect() as connection:
            current = None
            if inspect(connection).has_table("alembic_version"):
                current = connection.execute(
                    text("SELECT version_num FROM alembic_version")
                ).scalar()
    except SQLAlchemyError as exc:
        raise StoreError(f"database {engine.url.render_as_string()}: {short_error(exc)}") from None
    if current is not None and current not in REVISIONS:
        raise StoreError(
            f"database {engine.url.render_as_string()} is at schema revision {current}, "
            "which this version of paperwire does not know: it was written by a newer one"
        )
    return current, HEAD


def upgrade_schema(engine: Engine) -> bool:
    """Apply pending migrations; return True when anything was applied."""
    current, head = schema_revision(engine)
    if current == head:
        return False
    from alembic import command  # only when there is something to migrate

    try:
        with engine.begin() as connection:
            command.upgrade(_alembic_config(connection), "head")
        return True
    except SQLAlchemyError as exc:
        raise StoreError(f"database {engine.url.render_as_string()}: {short_error(exc)}") from None


def short_error(exc: SQLAlchemyError) -> str:
    return database_reason(exc)
