"""The `paperwire` command: a thin shell that parses options and calls the library."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.logging import RichHandler

from paperwire import __version__
from paperwire.config import Settings, load_settings
from paperwire.errors import PaperwireError, UsageError
from paperwire.files import write_atomically
from paperwire.http import PoliteSession
from paperwire.store import Store, open_store

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppContext:
    """What every command needs, built lazily from the global options."""

    config_path: Path | None = None
    verbosity: int = 0
    quiet: bool = False
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    _settings: Settings | None = None
    _store: Store | None = None
    _http: PoliteSession | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path, self.env)
        return self._settings

    def reload_settings(self) -> None:
        """Read the configuration again at the next use (a daemon picks up edits to its file;
        the database and HTTP settings in use stay until it restarts)."""
        self._settings = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.settings.database.url)
        return self._store

    @property
    def http(self) -> PoliteSession:
        if self._http is None:
            http = self.settings.http
            self._http = PoliteSession(
                user_agent=http.user_agent,
                min_interval=http.min_interval,
                timeout=http.timeout,
                retries=http.retries,
                max_wait=http.max_wait,
            )
        return self._http

    @cached_property
    def console(self) -> Console:
        return Console(stderr=False, quiet=self.quiet, highlight=False)

    @cached_property
    def err_console(self) -> Console:
        return Console(stderr=True, highlight=False)

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
        if self._store is not None:
            self._store.close()


def _app(ctx: click.Context) -> AppContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):
        obj = ctx.find_root().obj = AppContext()
    return obj


def _set_config(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        _app(ctx).config_path = value


def _set_verbose(ctx: click.Context, _param: click.Parameter, value: int) -> None:
    if value:
        _app(ctx).verbosity = max(_app(ctx).verbosity, value)


def _set_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        _app(ctx).quiet = True


def common_options(function: F) -> F:
    """--config, -v and -q, accepted before the command and after it."""
    options = [
        click.option(
            "--config",
            type=click.Path(dir_okay=False, path_type=Path),
            expose_value=False,
            callback=_set_config,
            is_eager=True,
            help="Configuration file (default: $PAPERWIRE_CONFIG, ./paperwire.toml, "
            "$XDG_CONFIG_HOME/paperwire/config.toml).",
        ),
        click.option(
            "-v",
            "--verbose",
            count=True,
            expose_value=False,
            callback=_set_verbose,
            help="Say more (-vv: HTTP requests too).",
        ),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            expose_value=False,
            callback=_set_quiet,
            help="Print only errors.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


class PaperwireGroup(click.Group):
    """Turns PaperwireError into one line on stderr and its exit status; never a traceback.

    Click's own usage errors (a bad option value, an unknown option) become one line too,
    pointing at --help, instead of Click's four-line usage block.
    """

    def main(  # type: ignore[override,unused-ignore]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:
            context = getattr(exc, "ctx", None)
            hint = f" (see {context.command_path} --help)" if context is not None else ""
            click.echo(f"paperwire: error: {exc.format_message()}{hint}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("paperwire: interrupted", err=True)
            sys.exit(130)
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PaperwireError as exc:
            click.echo(f"paperwire: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("paperwire: interrupted", err=True)
            ctx.exit(130)
        finally:
            obj = ctx.find_root().obj
            if isinstance(obj, AppContext):
                obj.close()


def setup_logging(app: AppContext) -> None:
    level = (
        logging.ERROR
        if app.quiet
        else (logging.WARNING, logging.INFO, logging.DEBUG)[min(app.verbosity, 2)]
    )
    logging.basicConfig(
        level=level,
        format="%(message)s",
        handlers=[RichHandler(console=app.err_console, show_path=False, show_time=False)],
        force=True,
    )
    # Alembic says "Context impl SQLiteImpl." on every run: only worth seeing with -vv.
    logging.getLogger("alembic").setLevel(level if app.verbosity >= 2 else logging.WARNING)
    # pylatexenc warns about every odd macro in an author name; the name is kept as written.
    logging.getLogger("pylatexenc").setLevel(level if app.verbosity >= 2 else logging.ERROR)


pass_app = click.make_pass_decorator(AppContext, ensure=True)


def parse_date(_ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-23", param=param) from None


def write_output(output: Path, text: str, option: str = "--output") -> None:
    """Write a command's output file whole or not at all: beside the target, then renamed.
    A link or a device (/dev/stdout) is written through, never replaced. Errors are one
    UsageError naming the option and the file."""
    if not output.name or output.is_dir():
        raise UsageError(f"{option} {output}: not a file name")
    try:
        write_atomically(output, text.encode("utf-8"), durable=False)
    except OSError as exc:
        raise UsageError(f"{option} {output}: {exc.strerror or exc}") from None


def examples(*lines: str) -> str:
    """An --help epilog, so that every help text ends with its examples."""
    title = "Example:" if len(lines) == 1 else "Examples:"
    return "\b\n" + title + "\n" + "\n".join(f"  {line}" for line in lines)


@click.group(
    cls=PaperwireGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=examples('paperwire digest -c cs.LG -k "diffusion"', "paperwire fetch --help"),
)
@common_options
@click.version_option(__version__, prog_name="paperwire")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """paperwire: each day's new arXiv papers, stored locally and ranked for you.

    Fetch arXiv's daily announcement, search what is stored, print a personal digest, and
    email each subscriber theirs.
    """
    ctx.obj = _app(ctx)


def register() -> None:
    from paperwire.cli import db, digest, doctor, fetch, run, search, send, serve, subscribers

    for module in (fetch, digest, send, run, serve, subscribers, search, db, doctor):
        cli.add_command(module.command)


register()


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    sys.exit(cli.main(args=argv, prog_name="paperwire"))


__all__ = ["AppContext", "UsageError", "cli", "common_options", "main", "pass_app"]
