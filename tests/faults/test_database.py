"""The database failing under `send` (issue 18, item 6): one line, exit 1, and the next run
recovers."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from click.testing import Result
from conftest import PaperwireCLI
from smtpserver import SmtpTestServer
from test_cli_send import write_config
from test_send import DAY1, DAY2, announce, paper

from paperwire.store import open_store


def _stock(url: str) -> None:
    with open_store(url) as store:
        announce(
            store,
            paper("2611.00001", "Diffusion on Monday", DAY1),
            paper("2611.00002", "Latent diffusion at scale", DAY2),
        )


def test_a_database_error_inside_the_ledger_is_one_line_and_the_next_run_recovers(
    paperwire: PaperwireCLI, db_url: str, smtp_server: SmtpTestServer
) -> None:
    _stock(db_url)
    config = write_config(paperwire.home, smtp_server, "ada@example.org")
    env = {"PAPERWIRE_DATABASE__URL": db_url}
    engine = sa.create_engine(db_url)
    with engine.begin() as connection:  # the ledger's table, gone from under it
        connection.execute(sa.text("ALTER TABLE delivery_papers RENAME TO delivery_papers_away"))

    broken = paperwire("send", "--config", str(config), env=env)
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE delivery_papers_away RENAME TO delivery_papers"))
    engine.dispose()
    recovered = paperwire("send", "--config", str(config), env=env)

    assert broken.exit_code == 1
    [line] = broken.stderr.splitlines()
    assert line.startswith("paperwire: error: database error: ")
    assert "delivery_papers" in line
    assert recovered.exit_code == 0, recovered.output
    assert [list(m.rcpt_tos) for m in smtp_server.messages] == [["ada@example.org"]]


def test_postgresql_sessions_killed_mid_send_are_replaced_and_the_digest_goes_out(
    paperwire: PaperwireCLI, postgres_url: str, smtp_server: SmtpTestServer
) -> None:
    _stock(postgres_url)
    config = write_config(paperwire.home, smtp_server, "ada@example.org", "bob@example.org")
    tagged = sa.make_url(postgres_url).update_query_dict({"application_name": "pw-killed"})
    env = {"PAPERWIRE_DATABASE__URL": tagged.render_as_string(hide_password=False)}
    release = smtp_server.hold()  # the first message waits at the end of its DATA
    result: list[Result] = []
    sending = threading.Thread(
        target=lambda: result.append(paperwire("send", "--config", str(config), env=env))
    )
    sending.start()
    smtp_server.wait_for_arrivals(1)
    admin = sa.create_engine(postgres_url)
    with admin.begin() as connection:  # a restart, or an operator killing sessions
        killed = connection.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'pw-killed'"
            )
        ).scalar()
    admin.dispose()
    release.set()
    smtp_server.release()
    sending.join(30)

    assert killed and killed >= 1
    [sent] = result
    assert sent.exit_code == 0, sent.output
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == [
        "ada@example.org",
        "bob@example.org",
    ]
