"""The `paperwire` command: a thin shell that parses options, calls the library and prints.

Each command lives in its own module, imported only when that command runs: `paperwire
--help` and a cron tick pay for nothing they do not use.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from paperwire import __version__
from paperwire.errors import PaperwireError, UsageError, as_store_error

if TYPE_CHECKING:
    from rich.console import Console

    from paperwire.app import Paperwire
    from paperwire.config import Settings
    from paperwire.store import Store

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppContext:
    """What every command needs, built lazily from the global options: the library's
    Paperwire (settings, store, HTTP), and the consoles to print on."""

    config_path: Path | None = None
    verbosity: int = 0
    quiet: bool = False
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    _paperwire: Paperwire | None = None
    _masker: Callable[[str], str] | None = None

    @property
    def paperwire(self) -> Paperwire:
        if self._paperwire is None:
            from paperwire.app import Paperwire

            self._paperwire = Paperwire.from_config(self.config_path, self.env)
        return self._paperwire

    @property
    def settings(self) -> Settings:
        return self.paperwire.settings

    @property
    def store(self) -> Store:
        return self.paperwire.store

    def reload_settings(self) -> None:
        """Read the configuration again (a daemon picks up edits to its file; the database
        and HTTP settings in use stay until it restarts)."""
        from paperwire.app import Paperwire
        from paperwire.config import load_settings

        old = self._paperwire
        if old is None:
            return
        self._paperwire = Paperwire(
            load_settings(self.config_path, self.env),
            env=self.env,
            store=old._store,
            http=old._http,
        )

    @cached_property
    def console(self) -> Console:
        """Where a command says what it did: silent with -q."""
        from rich.console import Console

        return Console(stderr=False, quiet=self.quiet, highlight=False)

    @cached_property
    def result_console(self) -> Console:
        """Where a command prints what was asked for (a digest, a list): -q does not
        silence it."""
        from rich.console import Console

        return Console(stderr=False, highlight=False)

    @cached_property
    def err_console(self) -> Console:
        from rich.console import Console

        return Console(stderr=True, highlight=False)

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def mask(self, text: str) -> str:
        """`text` with every configured secret hidden (once the settings are loaded)."""
        if self._paperwire is None:
            return text
        if self._masker is None:
            self._masker = self._paperwire.settings.masker()
        return self._masker(text)

    def close(self) -> None:
        if self._paperwire is not None:
            self._paperwire.close()


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


# Each command: (its module, its one-line help). The help is here so that `paperwire --help`
# lists the commands without importing them.
COMMANDS: dict[str, tuple[str, str]] = {
    "fetch": (
        "paperwire.cli.fetch",
        "Fetch the latest papers from each source (a backfill, given days).",
    ),
    "digest": ("paperwire.cli.digest", "Print a ranked digest for a subscriber or for flags."),
    "send": ("paperwire.cli.send", "Deliver every due digest (email, private Atom feeds)."),
    "run": ("paperwire.cli.run", "One cron tick: fetch what is due, send what is due."),
    "serve": (
        "paperwire.cli.serve",
        "Run the scheduler: fetch after each announcement, send digests when due.",
    ),
    "subscribers": ("paperwire.cli.subscribers", "Add, list, change and remove subscribers."),
    "feedback": (
        "paperwire.cli.feedback",
        "Record, list and remove readers' 👍/👎 on papers (the ranker learns from them).",
    ),
    "search": ("paperwire.cli.search", "Search stored papers by title, abstract and authors."),
    "web": (
        "paperwire.cli.web",
        "Serve the readers' pages: subscribe, preferences, unsubscribe, feedback.",
    ),
    "db": ("paperwire.cli.db", "Inspect or upgrade the database schema."),
    "doctor": ("paperwire.cli.doctor", "Check configuration, database, SMTP login and sources."),
}


class PaperwireGroup(click.Group):
    """Loads each command's module when it runs; turns PaperwireError into one line on
    stderr and its exit status, never a traceback.

    Click's own usage errors (a bad option value, an unknown option) become one line too,
    pointing at --help, instead of Click's four-line usage block.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module = importlib.import_module(COMMANDS[name][0])
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, short) for name, (_module, short) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

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
        except click.exceptions.NoArgsIsHelpError as exc:  # bare `paperwire`: its help
            click.echo(exc.ctx.get_help())
            sys.exit(0)
        except click.ClickException as exc:
            context = getattr(exc, "ctx", None)
            hint = f" (see {context.command_path} --help)" if context is not None else ""
            if (
                isinstance(exc, click.NoSuchOption)
                and context is not None
                and context.command.name == "search"
            ):  # `search diffusion -survey`: a word to leave out, not an option
                hint = (
                    " (to leave out a word, quote the query: paperwire search "
                    "'diffusion -survey'; or put -- before it)"
                )
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
            click.echo(f"paperwire: error: {_app(ctx).mask(str(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("paperwire: interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:
            store_error = as_store_error(exc)  # locked, disk full, a connection killed, …
            if store_error is None:
                raise
            click.echo(f"paperwire: error: {_app(ctx).mask(str(store_error))}", err=True)
            ctx.exit(store_error.exit_code)
        finally:
            obj = ctx.find_root().obj
            if isinstance(obj, AppContext):
                obj.close()


class _Masking(logging.Filter):
    """Hides the configured secrets in every line logged (a server's reply may echo one)."""

    def __init__(self, app: AppContext) -> None:
        super().__init__()
        self.app = app

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self.app.mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def setup_logging(app: AppContext) -> None:
    """Log to stderr: through rich on a terminal, as plain lines elsewhere (cron, systemd's
    journal), where importing rich's logging would only slow every tick down."""
    level = (
        logging.ERROR
        if app.quiet
        else (logging.WARNING, logging.INFO, logging.DEBUG)[min(app.verbosity, 2)]
    )
    handler: logging.Handler
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        handler = RichHandler(console=app.err_console, show_path=False, show_time=False)
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_Masking(app))
    logging.basicConfig(level=level, format="%(message)s", handlers=[handler], force=True)
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
    from paperwire.files import write_atomically

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
    """paperwire: each day's new research papers, stored locally and ranked for you.

    Fetch arXiv's daily announcement (and Hugging Face's trending papers, and any journal's
    or preprint server's RSS/Atom feed), search what is stored, print a personal digest, and
    deliver each subscriber theirs: by email, or to their private Atom feed.
    """
    ctx.obj = _app(ctx)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    sys.exit(cli.main(args=argv, prog_name="paperwire"))


__all__ = ["AppContext", "UsageError", "cli", "common_options", "main", "pass_app"]
