"""`paperwire web`: serve the readers' pages with uvicorn."""

from __future__ import annotations

import logging
from typing import Any

import click

from paperwire.cli import COMMANDS, AppContext, common_options, examples, pass_app, setup_logging
from paperwire.errors import UsageError

log = logging.getLogger(__name__)


@click.command(
    "web",
    short_help=COMMANDS["web"][1],
    epilog=examples(
        "paperwire web",
        "paperwire web --host 127.0.0.1 --port 8000 --workers 2",
        "PAPERWIRE_DELIVERY__SECRET=… paperwire web --config /etc/paperwire.toml",
    ),
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port."
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (one per core is plenty).",
)
@click.option(
    "--proxy",
    "proxies",
    default="127.0.0.1",
    show_default=True,
    help="Addresses of reverse proxies whose X-Forwarded-For to trust (comma-separated).",
)
@common_options
@pass_app
def command(app: AppContext, host: str, port: int, workers: int, proxies: str) -> None:
    """Serve the readers' pages: subscribe (double opt-in by a confirmation mail),
    preferences and a preview of the next digest, one-click unsubscribe (RFC 8058), every
    paper of a delivered digest, 👍/👎 feedback, and readers' private Atom feeds.

    Needs delivery.base_url (the public https:// address a reverse proxy serves the pages
    at; http:// only for 127.0.0.1 or localhost) and delivery.secret. Stops on Ctrl-C or
    SIGTERM.
    """
    import os

    import uvicorn

    from paperwire.web.app import create_app

    setup_logging(app)
    settings = app.settings
    if settings.database.url.startswith("sqlite") and ":memory:" in settings.database.url:
        raise UsageError("database.url: web needs a database file, not sqlite :memory:")
    from paperwire.store import open_store
    from paperwire.web.app import THREADS, check_settings

    check_settings(settings)  # before the database is opened
    # One pooled connection for each thread serving requests.
    web_app = create_app(settings, open_store(settings.database.url, connections=THREADS))
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "proxy_headers": True,
        "forwarded_allow_ips": proxies,
        "server_header": False,
        "log_level": "warning" if app.quiet else "info",
        # Never: a request's query holds a reader's address and a lasting token.
        "access_log": False,
    }
    if not app.quiet:
        click.echo(
            f"paperwire web: {settings.delivery.base_url} served on http://{host}:{port}", err=True
        )
    if workers == 1:
        uvicorn.run(web_app, **options)
        return
    # Each worker process builds its own app from the same configuration file.
    if app.config_path is not None:
        os.environ["PAPERWIRE_CONFIG"] = str(app.config_path.resolve())
    uvicorn.run("paperwire.web.app:app_from_environment", factory=True, workers=workers, **options)
