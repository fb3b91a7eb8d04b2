"""Shared fixtures: a loopback arXiv, SQLite files, the real PostgreSQL, and a CLI runner."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from click.testing import CliRunner, Result
from loopback import LoopbackServer, loopback, loopback_factory  # noqa: F401 (fixtures)
from sitekit import make_site, site  # noqa: F401 (fixtures)
from smtpserver import smtp_server, smtp_ssl_server, smtp_tls_server  # noqa: F401 (fixtures)

from paperwire.cli import cli
from paperwire.config import ArxivSettings
from paperwire.http import PoliteSession
from paperwire.sources.arxiv.fetch import Ingestor
from paperwire.store import Store, open_store

POSTGRES_URL = os.environ.get(
    "PAPERWIRE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
OWN_FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def semantic_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The semantic layer's built graph goes to a directory of the test run, not the home
    cache (built once per run, by the first test that loads the model)."""
    path = tmp_path_factory.mktemp("paperwire-cache")
    before = os.environ.get("PAPERWIRE_CACHE_DIR")
    os.environ["PAPERWIRE_CACHE_DIR"] = str(path)
    yield path
    if before is None:
        os.environ.pop("PAPERWIRE_CACHE_DIR", None)
    else:
        os.environ["PAPERWIRE_CACHE_DIR"] = before


def _postgres_reachable() -> str | None:
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means: not here
        return str(exc).splitlines()[0]


@pytest.fixture(scope="session")
def postgres_base_url() -> str:
    reason = _postgres_reachable()
    if reason is not None:
        if os.environ.get("PAPERWIRE_REQUIRE_POSTGRES") or os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is required here: {reason}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {reason}")
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_base_url: str) -> Iterator[str]:
    """A fresh schema in the real PostgreSQL for one test, dropped afterwards."""
    schema = f"pw_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_base_url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(postgres_base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'paperwire.sqlite3'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs on a SQLite file and on the real PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = open_store(db_url)
    yield opened
    opened.close()


@pytest.fixture
def arxiv(loopback: LoopbackServer) -> LoopbackServer:  # noqa: F811
    """The loopback server standing in for rss.arxiv.org, arxiv.org and the API."""
    return loopback


def arxiv_settings(server: LoopbackServer, **overrides: object) -> ArxivSettings:
    values: dict[str, object] = {
        "categories": ["cs.LG", "cs.AI"],
        "rss_url": server.url,
        "listing_url": server.url,
        "api_url": server.url + "/api/query",
        "oai_url": server.url + "/oai",
        "announce_types": ["new", "cross", "replace", "replace-cross"],
    }
    values.update(overrides)
    return ArxivSettings.model_validate(values)


def polite_session() -> PoliteSession:
    session = requests.Session()
    session.trust_env = False  # a developer's *_proxy variables must not see loopback traffic
    return PoliteSession(
        user_agent="paperwire-tests", min_interval=0, retries=1, backoff=0.01, session=session
    )


def make_ingestor(
    server: LoopbackServer, store: Store, now: dt.datetime, **overrides: object
) -> Ingestor:
    return Ingestor(arxiv_settings(server, **overrides), store, polite_session(), now)


class PaperwireCLI:
    """Runs `paperwire` in-process against a loopback arXiv and a database of the test's."""

    def __init__(self, home: Path, server: LoopbackServer | None, database_url: str) -> None:
        self.home = home
        self.env = {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "PAPERWIRE_CONFIG": "",
            "PAPERWIRE_DATABASE__URL": database_url,
            "PAPERWIRE_HTTP__MIN_INTERVAL": "0",
            "PAPERWIRE_HTTP__RETRIES": "1",
        }
        if server is not None:
            self.env |= {
                "PAPERWIRE_SOURCES__ARXIV__RSS_URL": server.url,
                "PAPERWIRE_SOURCES__ARXIV__LISTING_URL": server.url,
                "PAPERWIRE_SOURCES__ARXIV__API_URL": server.url + "/api/query",
                "PAPERWIRE_SOURCES__ARXIV__OAI_URL": server.url + "/oai",
                # Nothing may reach huggingface.co: a test's own URL overrides these.
                "PAPERWIRE_SOURCES__HUGGINGFACE__API_URL": server.url + "/api/daily_papers",
                "PAPERWIRE_SOURCES__HUGGINGFACE__PAGE_URL": server.url + "/papers",
            }

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        cwd = os.getcwd()
        os.chdir(self.home)  # no ./paperwire.toml from the developer's checkout
        try:
            return runner.invoke(cli, list(args), env=self.env | (env or {}), catch_exceptions=True)
        finally:
            os.chdir(cwd)


@pytest.fixture
def paperwire(tmp_path: Path, arxiv: LoopbackServer, sqlite_url: str) -> PaperwireCLI:
    return PaperwireCLI(tmp_path, arxiv, sqlite_url)
