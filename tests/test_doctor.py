"""`paperwire doctor` against real servers: loopback HTTP, aiosmtpd, SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
import socket
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from conftest import PaperwireCLI, polite_session
from fixtures_path import own_fixture, real_fixture, shared_fixtures
from loopback import LoopbackServer, Reply
from smtpserver import TEST_CREDENTIALS, SmtpTestServer, smtp_settings

from paperwire.config import Settings
from paperwire.doctor import Check, check_database, check_smtp, check_sources, run_checks
from paperwire.models import AnnounceType, Paper
from paperwire.store import open_store

FEED = "/rss/cs.LG+cs.AI"
LISTING = "/list/cs.LG/new"
API = "/api/query"
HUGGINGFACE = "/api/daily_papers"
OAI = "/oai"
IDENTIFY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-11-19T07:00:00Z'
    b'</responseDate><request verb="Identify">https://oaipmh.arxiv.org/oai</request><Identify>'
    b"<repositoryName>arXiv</repositoryName><baseURL>https://oaipmh.arxiv.org/oai</baseURL>"
    b"<protocolVersion>2.0</protocolVersion></Identify></OAI-PMH>"
)
ANNOUNCED = dt.date(2026, 11, 19)
NOW = dt.datetime(2026, 11, 19, 7, tzinfo=dt.UTC)
WIDE = {"COLUMNS": "400"}  # one table row per line, so a row can be found by its words


def head_revision() -> str:
    """The newest schema revision this paperwire knows (migrations are being added)."""
    with open_store("sqlite://", upgrade=False) as store:
        return store.schema_revision()[1]


def flat(text: str) -> str:
    """The output without whitespace and table borders: a word wrapped over two table lines
    is whole again, so a secret cannot hide from `not in`."""
    return re.sub(r"[\s│┃]+", "", text)


def row(result: Result, name: str) -> str:
    """The table line of one check."""
    lines = [line for line in result.stdout.splitlines() if re.match(rf"│ {name}\s+│", line)]
    assert len(lines) == 1, result.output
    return lines[0]


def status(result: Result, name: str) -> str:
    return row(result, name).split("│")[2].strip()


@pytest.fixture
def sources(arxiv: LoopbackServer) -> LoopbackServer:
    """Every source paperwire uses, answering 200 on the loopback server."""
    arxiv.add(FEED, Reply(200, own_fixture("rss2_2026_3items.xml")))
    arxiv.add(LISTING, Reply(200, own_fixture("listing_new_2entries.html")))
    arxiv.add(API, Reply(200, own_fixture("api_2entries.xml")))
    arxiv.add(OAI, Reply(200, IDENTIFY))
    arxiv.add(HUGGINGFACE, Reply(200, b"[]", {"Content-Type": "application/json"}))
    return arxiv


@pytest.fixture
def stocked_sqlite(sqlite_url: str) -> str:
    """The test's SQLite file at the newest schema revision, holding one paper."""
    add_paper(sqlite_url)
    return sqlite_url


def add_paper(url: str) -> None:
    with open_store(url) as store, store.transaction() as connection:
        paper = Paper(
            "2611.00001",
            "Diffusion on a Thursday",
            "We study diffusion.",
            authors=["Ada Lovelace"],
            categories=["cs.LG"],
            primary_category="cs.LG",
            version=1,
            announce_type=AnnounceType.NEW,
            announced=ANNOUNCED,
        )
        store.upsert_papers(connection, [paper], NOW)


def doctor_env(
    server: LoopbackServer, smtp: SmtpTestServer | None = None, ca_file: Path | None = None
) -> dict[str, str]:
    env = WIDE | {
        "PAPERWIRE_SOURCES__ARXIV__CATEGORIES": "cs.LG, cs.AI",
        "PAPERWIRE_SOURCES__HUGGINGFACE__ENABLED": "true",
        "PAPERWIRE_SOURCES__HUGGINGFACE__API_URL": server.url + HUGGINGFACE,
        "PAPERWIRE_HTTP__USER_AGENT": "paperwire-doctor-test (mailto:t@example.org)",
    }
    if smtp is not None:
        env |= {
            "PAPERWIRE_SMTP__HOST": "127.0.0.1",
            "PAPERWIRE_SMTP__PORT": str(smtp.port),
            "PAPERWIRE_SMTP__SECURITY": smtp.tls,
            "PAPERWIRE_SMTP__TIMEOUT": "2",
        }
        if smtp.credentials is not None:
            env |= {
                "PAPERWIRE_SMTP__USERNAME": smtp.credentials.username,
                "PAPERWIRE_SMTP__PASSWORD": smtp.credentials.password,
            }
        if ca_file is not None:
            env["PAPERWIRE_SMTP__CA_FILE"] = str(ca_file)
    return env


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- the whole command --------------------------------------------------------------------------


def test_everything_reachable_exits_0_with_one_row_per_check(
    paperwire: PaperwireCLI,
    sources: LoopbackServer,
    stocked_sqlite: str,
    smtp_tls_server: SmtpTestServer,
    tmp_path: Path,
) -> None:
    env = doctor_env(sources, smtp_tls_server, smtp_tls_server.ca_file(tmp_path))

    result = paperwire("doctor", env=env)

    assert result.exit_code == 0, result.output
    names = ["configuration", "database", "smtp", "arxiv rss", "arxiv listing", "arxiv api"]
    names.append("arxiv oai")
    for name in [*names, "huggingface"]:
        assert status(result, name) == "ok", row(result, name)
    assert "built-in defaults; 0 configured subscribers; categories cs.LG, cs.AI" in row(
        result, "configuration"
    )
    assert f"revision {head_revision()}, 1 paper, newest announcement 2026-11-19" in row(
        result, "database"
    )
    smtp_row = row(result, "smtp")
    assert f"127.0.0.1:{smtp_tls_server.port} (starttls): smtp.test answered" in smtp_row
    assert f"login ok as {TEST_CREDENTIALS[0]}" in smtp_row
    assert "HTTP 200 in " in row(result, "arxiv rss") and sources.url + FEED in result.stdout
    assert result.stdout.rstrip().endswith("all checks passed")
    assert TEST_CREDENTIALS[1] not in flat(result.output)


def test_smtp_login_is_checked_but_no_mail_is_sent(
    paperwire: PaperwireCLI,
    arxiv: LoopbackServer,
    stocked_sqlite: str,
    smtp_tls_server: SmtpTestServer,
    tmp_path: Path,
) -> None:
    env = doctor_env(arxiv, smtp_tls_server, smtp_tls_server.ca_file(tmp_path))

    result = paperwire("doctor", "--skip", "sources", env=env)

    assert result.exit_code == 0, result.output
    assert smtp_tls_server.logins == [(TEST_CREDENTIALS[0], True)]
    assert len(smtp_tls_server.connections) == 1
    assert smtp_tls_server.mail_froms == []
    assert smtp_tls_server.arrivals == [] and smtp_tls_server.messages == []


def test_wrong_smtp_password_fails_with_the_reply_and_never_shows_the_password(
    paperwire: PaperwireCLI,
    arxiv: LoopbackServer,
    stocked_sqlite: str,
    smtp_tls_server: SmtpTestServer,
    tmp_path: Path,
) -> None:
    env = doctor_env(arxiv, smtp_tls_server, smtp_tls_server.ca_file(tmp_path))
    env["PAPERWIRE_SMTP__PASSWORD"] = "wrong-Pa55word-xyz"

    result = paperwire("doctor", "--skip", "sources", env=env)

    assert result.exit_code == 1, result.output
    assert status(result, "smtp") == "fail"
    assert f"login as '{TEST_CREDENTIALS[0]}' refused: 535" in row(result, "smtp")
    assert "wrong-Pa55word-xyz" not in flat(result.output)
    assert TEST_CREDENTIALS[1] not in flat(result.output)
    assert smtp_tls_server.logins  # smtplib tries each AUTH method the server offers
    assert all(login == (TEST_CREDENTIALS[0], False) for login in smtp_tls_server.logins)
    assert smtp_tls_server.mail_froms == [] and smtp_tls_server.messages == []
    assert "Traceback" not in result.output


def test_smtp_port_refusing_connections_fails_naming_host_and_port(
    paperwire: PaperwireCLI, stocked_sqlite: str
) -> None:
    port = closed_port()
    env = WIDE | {
        "PAPERWIRE_SMTP__HOST": "127.0.0.1",
        "PAPERWIRE_SMTP__PORT": str(port),
        "PAPERWIRE_SMTP__SECURITY": "none",
    }

    result = paperwire("doctor", "--skip", "sources", env=env)

    assert result.exit_code == 1, result.output
    assert status(result, "smtp") == "fail"
    assert f"SMTP server 127.0.0.1:{port}: cannot connect: Connection refused" in row(
        result, "smtp"
    )
    assert status(result, "database") == "ok"
    assert result.stdout.rstrip().endswith("1 check failed")


def test_source_answering_503_fails_its_row_naming_the_url_after_one_request(
    paperwire: PaperwireCLI, sources: LoopbackServer, stocked_sqlite: str
) -> None:
    sources.add(LISTING, Reply(503, b"down for the announcement"))

    result = paperwire("doctor", "--skip", "smtp", env=doctor_env(sources))

    assert result.exit_code == 1, result.output
    assert status(result, "arxiv listing") == "fail"
    assert f"{sources.url}{LISTING}: HTTP 503 Service Unavailable" in row(result, "arxiv listing")
    assert len(sources.requests_to(LISTING)) == 1  # doctor asks once; it does not retry
    for name in ("arxiv rss", "arxiv api", "huggingface"):
        assert status(result, name) == "ok"


def test_each_source_gets_one_get_with_the_configured_user_agent(
    paperwire: PaperwireCLI, sources: LoopbackServer, stocked_sqlite: str
) -> None:
    result = paperwire("doctor", "--skip", "smtp", env=doctor_env(sources))

    assert result.exit_code == 0, result.output
    assert sorted(r.path for r in sources.requests) == sorted(
        [FEED, LISTING, API, OAI, HUGGINGFACE]
    )
    assert {r.method for r in sources.requests} == {"GET"}
    assert {r.headers["User-Agent"] for r in sources.requests} == {
        "paperwire-doctor-test (mailto:t@example.org)"
    }
    (api,) = sources.requests_to(API)
    assert api.params["id_list"] == "2401.00001" and api.params["max_results"] == "1"


def test_huggingface_disabled_is_skipped_without_a_request(
    paperwire: PaperwireCLI, sources: LoopbackServer, stocked_sqlite: str
) -> None:
    env = doctor_env(sources) | {"PAPERWIRE_SOURCES__HUGGINGFACE__ENABLED": "false"}

    result = paperwire("doctor", "--skip", "smtp", env=env)

    assert result.exit_code == 0, result.output
    assert status(result, "huggingface") == "skip"
    assert sources.requests_to(HUGGINGFACE) == []


def test_database_behind_the_newest_migration_warns_and_is_not_upgraded(
    paperwire: PaperwireCLI, db_url: str
) -> None:
    with open_store(db_url):
        pass
    engine = sa.create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))

    result = paperwire(
        "doctor",
        "--skip",
        "smtp",
        "--skip",
        "sources",
        env=WIDE | {"PAPERWIRE_DATABASE__URL": db_url},
    )

    assert result.exit_code == 0, result.output  # a warning does not fail
    assert status(result, "database") == "warn"
    expected = f"at revision 0001, paperwire needs revision {head_revision()}: run paperwire db"
    assert f"{expected} upgrade" in row(result, "database")
    assert result.stdout.rstrip().endswith("1 warning")
    with engine.connect() as connection:
        revision = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
        assert revision.scalar_one() == "0001"
    engine.dispose()


def test_database_password_is_masked_and_an_unreachable_server_fails_cleanly(
    paperwire: PaperwireCLI,
) -> None:
    env = WIDE | {"PAPERWIRE_DATABASE__URL": "postgresql+psycopg://u:SECRET@127.0.0.1:1/x"}

    result = paperwire("doctor", "--skip", "smtp", "--skip", "sources", env=env)

    assert result.exit_code == 1, result.output
    assert status(result, "database") == "fail"
    assert "postgresql+psycopg://u:***@127.0.0.1:1/x" in row(result, "database")
    assert "Connection refused" in row(result, "database")
    assert "SECRET" not in flat(result.output)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_missing_sqlite_file_warns_and_is_not_created(
    paperwire: PaperwireCLI, sqlite_url: str
) -> None:
    path = Path(sa.make_url(sqlite_url).database or "")

    result = paperwire("doctor", "--skip", "smtp", "--skip", "sources", env=WIDE)

    assert result.exit_code == 0, result.output
    assert status(result, "database") == "warn"
    assert "no such file yet; paperwire fetch creates it" in row(result, "database")
    assert not path.exists()


def test_without_smtp_host_smtp_is_skipped_and_the_outbox_checked(
    paperwire: PaperwireCLI, stocked_sqlite: str
) -> None:
    outbox = paperwire.home / "mail"
    env = WIDE | {"PAPERWIRE_DELIVERY__OUTBOX": str(outbox)}

    result = paperwire("doctor", "--skip", "sources", env=env)

    assert result.exit_code == 0, result.output
    assert status(result, "smtp") == "skip"
    assert f"no smtp.host: send writes .eml files to {outbox}" in row(result, "smtp")
    assert status(result, "outbox") == "ok"
    assert not outbox.exists()  # looked at, not made


def test_outbox_that_is_a_file_fails(paperwire: PaperwireCLI, stocked_sqlite: str) -> None:
    blocker = paperwire.home / "not-a-folder"
    blocker.write_text("")
    env = WIDE | {"PAPERWIRE_DELIVERY__OUTBOX": str(blocker / "outbox")}

    result = paperwire("doctor", "--skip", "sources", env=env)

    assert result.exit_code == 1, result.output
    assert status(result, "outbox") == "fail"
    assert f"cannot be created: {blocker} is a file" in row(result, "outbox")


def test_skip_leaves_out_smtp_and_sources(
    paperwire: PaperwireCLI, sources: LoopbackServer, stocked_sqlite: str
) -> None:
    with SmtpTestServer() as smtp:
        env = doctor_env(sources, smtp)
        result = paperwire("doctor", "--skip", "smtp", "--skip", "sources", env=env)
        assert smtp.connections == []

    assert result.exit_code == 0, result.output
    assert status(result, "smtp") == "skip" and status(result, "sources") == "skip"
    assert sources.requests == []


def test_quiet_prints_only_the_failures_on_stderr(
    paperwire: PaperwireCLI, stocked_sqlite: str
) -> None:
    port = closed_port()
    env = {"PAPERWIRE_SMTP__HOST": "127.0.0.1", "PAPERWIRE_SMTP__PORT": str(port)}

    result = paperwire("doctor", "-q", "--skip", "sources", env=env)

    assert result.exit_code == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        f"paperwire: doctor: smtp: SMTP server 127.0.0.1:{port}: cannot connect: Connection refused"
    )


def test_config_error_exits_2_before_any_check(
    paperwire: PaperwireCLI, sources: LoopbackServer
) -> None:
    result = paperwire("doctor", env={"PAPERWIRE_SMTP__PORT": "not-a-port"})

    assert result.exit_code == 2
    assert "smtp.port" in result.stderr and result.stdout == ""
    assert sources.requests == []


def test_help_ends_with_an_example(paperwire: PaperwireCLI) -> None:
    result = paperwire("doctor", "--help")

    assert result.exit_code == 0
    assert result.stdout.rstrip().splitlines()[-1].strip().startswith("PAPERWIRE_SMTP__PASSWORD")


# -- the checks as functions --------------------------------------------------------------------


def test_database_at_head_reports_papers_and_newest_day(db_url: str) -> None:
    add_paper(db_url)

    check = check_database(db_url)

    assert check.status == "ok", check
    assert check.detail.endswith(
        f"revision {head_revision()}, 1 paper, newest announcement 2026-11-19"
    )


def test_empty_database_warns_to_upgrade(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        Path(sa.make_url(db_url).database or "").touch()  # an empty file is an empty database

    check = check_database(db_url)

    assert check.status == "warn", check
    assert f"empty (no schema yet), paperwire needs revision {head_revision()}" in check.detail


def test_smtp_without_username_on_a_server_offering_auth_warns() -> None:
    with SmtpTestServer(credentials=("u", "pw-secret"), auth_required=True) as server:
        check = check_smtp(smtp_settings(server, username="", password=""))
        assert server.mail_froms == [] and server.logins == []

    assert check.status == "warn"
    assert "offers AUTH but smtp.username is empty" in check.detail


def test_smtp_with_verify_off_warns(smtp_tls_server: SmtpTestServer) -> None:
    check = check_smtp(smtp_settings(smtp_tls_server, verify=False))

    assert check.status == "warn"
    assert "login ok as digest-sender" in check.detail
    assert "certificate not checked (smtp.verify = false)" in check.detail


def test_untrusted_smtp_certificate_fails_before_login(smtp_tls_server: SmtpTestServer) -> None:
    check = check_smtp(smtp_settings(smtp_tls_server))  # the system's CAs only

    assert check.status == "fail"
    assert "certificate verification failed" in check.detail
    assert smtp_tls_server.logins == []


def test_a_secret_echoed_in_a_reply_is_masked(tmp_path: Path) -> None:
    # Five letters: too short for the SMTP transport's own masking, long enough for doctor's.
    secret = "pw-5x"
    with SmtpTestServer(credentials=("u", "other-password"), auth_required=True) as server:
        smtp = {"host": "127.0.0.1", "port": server.port, "security": "none", "timeout": 2}
        settings = Settings.model_validate(
            {
                "database": {"url": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
                "smtp": smtp | {"username": secret, "password": secret},
            }
        )
        with polite_session() as http:
            checks = run_checks(settings, None, {}, http, skip=["database", "sources"])

    (check,) = [c for c in checks if c.name == "smtp"]
    assert check.status == "fail"
    assert "login as '***' refused: 535" in check.detail  # the user name was the password
    assert secret not in check.detail


def test_sources_refusing_connections_fail_naming_the_url(loopback: LoopbackServer) -> None:
    settings = Settings.model_validate(
        {
            "sources": {
                "arxiv": {
                    "categories": ["cs.LG"],
                    "rss_url": f"http://127.0.0.1:{closed_port()}",
                    "listing_url": loopback.url,
                    "api_url": loopback.url + API,
                    "oai_url": loopback.url + OAI,
                }
            }
        }
    )
    loopback.add(LISTING, Reply(200, own_fixture("listing_new_2entries.html")))
    loopback.add(API, Reply(200, own_fixture("api_2entries.xml")))
    with polite_session() as http:
        checks = check_sources(settings, http)

    by_name = {c.name: c for c in checks}
    assert by_name["arxiv rss"].status == "fail"
    assert "/rss/cs.LG: connection failed" in by_name["arxiv rss"].detail
    assert by_name["arxiv listing"].status == "ok" and by_name["arxiv api"].status == "ok"
    assert by_name["huggingface"].status == "skip"


def test_unknown_section_to_skip_is_an_error() -> None:
    with polite_session() as http, pytest.raises(ValueError, match="smpt"):
        run_checks(Settings(), None, {}, http, skip=["smpt"])


CAPTCHA = b"<!DOCTYPE html>\n<html><head><title>Validate User</title></head><body>?</body></html>"


def _probed(sources: dict[str, object]) -> dict[str, Check]:
    settings = Settings.model_validate({"sources": sources})
    with polite_session() as http:
        return {c.name: c for c in check_sources(settings, http)}


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        (own_fixture("feeds/journal_rss2_3items.xml"), "ok", "HTTP 200 in "),
        (CAPTCHA, "fail", "returned an HTML page, not a feed"),
        (b"Service temporarily overloaded", "fail", "not an RSS, RDF or Atom feed"),
    ],
)
def test_a_feed_answering_200_is_ok_only_when_the_answer_is_a_feed(
    loopback: LoopbackServer, body: bytes, status: str, detail: str
) -> None:
    loopback.add("/journal.rss", Reply(200, body, {"Content-Type": "application/rss+xml"}))
    arxiv = {"rss_url": f"http://127.0.0.1:{closed_port()}", "oai_url": loopback.url + OAI}
    feeds = [{"name": "journal", "url": loopback.url + "/journal.rss"}]

    checks = _probed({"arxiv": arxiv, "feeds": feeds})

    check = checks["feed journal"]
    assert (check.status, detail in check.detail) == (status, True), check
    assert loopback.url + "/journal.rss" in check.detail


@shared_fixtures
def test_the_real_captcha_page_served_as_a_feed_fails_its_row(loopback: LoopbackServer) -> None:
    page = real_fixture("feeds/oup_zool-j-linn-soc_2021-11-24_NOT-A-FEED_captcha.html")
    loopback.add("/zool.rss", Reply(200, page, {"Content-Type": "text/html"}))
    arxiv = {"rss_url": f"http://127.0.0.1:{closed_port()}", "oai_url": loopback.url + OAI}

    feeds = [{"name": "zool", "url": loopback.url + "/zool.rss"}]

    checks = _probed({"arxiv": arxiv, "feeds": feeds})

    assert checks["feed zool"].status == "fail"


def test_arxiv_oai_is_asked_who_it_is_and_an_error_fails_its_row(
    loopback: LoopbackServer,
) -> None:
    error = IDENTIFY.replace(
        b"<Identify>", b'<error code="badVerb">Illegal verb</error><Identify_>'
    ).replace(b"</Identify>", b"</Identify_>")
    loopback.add(OAI, Reply(200, error))
    arxiv = {"rss_url": f"http://127.0.0.1:{closed_port()}", "oai_url": loopback.url + OAI}

    check = _probed({"arxiv": arxiv})["arxiv oai"]

    assert check.status == "fail"
    assert "OAI-PMH error badVerb: Illegal verb" in check.detail
    [request] = loopback.requests_to(OAI)
    assert request.params == {"verb": "Identify"}
