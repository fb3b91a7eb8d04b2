"""`paperwire serve`: the long-running scheduler, doing on schedule what `run` does."""

from __future__ import annotations

import logging

import click

from paperwire.cli import COMMANDS, AppContext, common_options, examples, pass_app, setup_logging
from paperwire.cli.run import run_once
from paperwire.errors import PaperwireError, UsageError, as_store_error

log = logging.getLogger(__name__)


def job(app: AppContext, force_fetch: bool) -> None:
    """One of serve's jobs: a tick; an error is logged in one line and the schedule goes on."""
    try:
        app.reload_settings()  # an edited file (readers added or removed) counts at once
        run_once(app, force_fetch=force_fetch)
    except PaperwireError as exc:
        log.error("%s", exc)
    except Exception as exc:
        store_error = as_store_error(exc)
        if store_error is not None:  # the next tick tries again
            log.error("%s", store_error)
        else:
            log.exception("the tick failed; the schedule goes on")


@click.command(
    "serve",
    short_help=COMMANDS["serve"][1],
    epilog=examples(
        "paperwire serve",
        "paperwire serve --config /etc/paperwire.toml -v",
    ),
)
@common_options
@pass_app
def command(app: AppContext) -> None:
    """Stay running: fetch arXiv's announcement at schedule.fetch_cron (default 00:30 US
    Eastern, Monday to Friday) and every schedule.interval minutes send the digests whose
    time has come, exactly as `paperwire run` would.

    Logs the next run times at start; stops cleanly on SIGTERM or Ctrl-C, finishing the job
    in progress.
    """
    from paperwire.scheduling.service import serve

    setup_logging(app)
    if not app.quiet:  # a daemon's log says when it will work next, and when it stops
        logging.getLogger("paperwire.scheduling").setLevel(logging.INFO)
    settings = app.settings  # a configuration error stops it here, with status 2
    if settings.database.url.startswith("sqlite") and ":memory:" in settings.database.url:
        raise UsageError("database.url: serve needs a database file, not sqlite :memory:")
    app.store  # noqa: B018  (the database opens, and migrates, before the first job)
    serve(lambda force_fetch: job(app, force_fetch), settings.schedule)
