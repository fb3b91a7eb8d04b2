"""Small values a source or a channel keeps between runs, each under its own namespace.

A plug-in gets this instead of a table of its own (and a migration): an OAI-PMH harvest keeps
its resumption token, a feed the time of its last poll, the Atom channel each reader's token.
Values are JSON (strings, numbers, lists, mappings).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Engine, select

from paperwire.store.tables import PLUGIN_STATE
from paperwire.store.upsert import dialect_insert


class StateBook:
    """One namespace of plugin_state: get, put and delete values by key."""

    def __init__(self, engine: Engine, namespace: str) -> None:
        self.engine = engine
        self.namespace = namespace

    def get(self, key: str, default: Any = None) -> Any:
        with self.engine.connect() as connection:
            value = connection.execute(
                select(PLUGIN_STATE.c.value).where(
                    PLUGIN_STATE.c.namespace == self.namespace, PLUGIN_STATE.c.key == key
                )
            ).scalar_one_or_none()
        return default if value is None else value

    def items(self) -> dict[str, Any]:
        """Every key of the namespace with its value."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(PLUGIN_STATE.c.key, PLUGIN_STATE.c.value).where(
                    PLUGIN_STATE.c.namespace == self.namespace
                )
            )
            return {key: value for key, value in rows}

    def put(
        self, key: str, value: Any, now: dt.datetime, connection: Connection | None = None
    ) -> None:
        """Set `key` to `value`: in the caller's transaction when given one (so that a value
        and the data it describes are written together), else in one of its own."""
        if connection is None:
            with self.engine.begin() as own:
                self.put(key, value, now, own)
            return
        values = {"namespace": self.namespace, "key": key, "value": value, "updated_at": now}
        statement = dialect_insert(connection, PLUGIN_STATE).values(**values)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["namespace", "key"], set_={"value": value, "updated_at": now}
            )
        )

    def put_new(self, key: str, value: Any, now: dt.datetime) -> Any:
        """Set `key` unless it has a value; return the value it has now (another process may
        have set it first)."""
        with self.engine.begin() as connection:
            statement = dialect_insert(connection, PLUGIN_STATE).values(
                namespace=self.namespace, key=key, value=value, updated_at=now
            )
            connection.execute(statement.on_conflict_do_nothing())
        return self.get(key)

    def delete(self, key: str, connection: Connection | None = None) -> None:
        if connection is None:
            with self.engine.begin() as own:
                self.delete(key, own)
            return
        connection.execute(
            PLUGIN_STATE.delete().where(
                PLUGIN_STATE.c.namespace == self.namespace, PLUGIN_STATE.c.key == key
            )
        )
