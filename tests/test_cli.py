"""The `paperwire` command as a user runs it: exit codes, one-line errors, the real database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import OWN_FIXTURES, PaperwireCLI
from loopback import LoopbackServer, Reply

from paperwire.cli import cli

FEED = (OWN_FIXTURES / "routes" / "rss.xml").read_bytes()


def _papers(database_url: str) -> int:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM papers")).scalar_one()
    engine.dispose()
    return int(count)


def test_fetch_prints_a_one_line_summary_and_stores_the_papers(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, sqlite_url: str
) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, FEED))

    result = paperwire("fetch", "--route", "rss", "-c", "cs.LG", "-c", "cs.AI")

    assert result.exit_code == 0, result.output
    assert result.stdout == "2026-11-17 via rss: 2 added, 0 updated, 0 unchanged (1 cross, 1 new)\n"
    assert _papers(sqlite_url) == 2


def test_global_options_work_before_and_after_the_command(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, tmp_path: Path
) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, FEED))
    config = tmp_path / "custom.toml"
    config.write_text('[sources.arxiv]\ncategories = ["cs.LG", "cs.AI"]\n')

    before = paperwire("--config", str(config), "-q", "fetch", "--route", "rss")
    after = paperwire("fetch", "--route", "rss", "--config", str(config), "-q")

    assert (before.exit_code, before.output) == (0, "")
    assert (after.exit_code, after.output) == (0, "")
    assert [r.path for r in arxiv.requests] == ["/rss/cs.LG+cs.AI"] * 2


def test_html_error_page_exits_1_with_one_line_naming_the_url(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, sqlite_url: str
) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, b"<!DOCTYPE html><html><body>oops</body></html>"))

    result = paperwire("fetch", "--route", "rss", "-c", "cs.LG", "-c", "cs.AI")

    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("paperwire: error: " + arxiv.url + "/rss/cs.LG+cs.AI")
    assert "HTML page" in lines[0]
    assert "Traceback" not in result.output


def test_bad_config_value_exits_2_naming_the_key(paperwire: PaperwireCLI) -> None:
    result = paperwire("fetch", env={"PAPERWIRE_HTTP__TIMEOUT": "soon"})

    assert result.exit_code == 2
    assert "PAPERWIRE_HTTP__TIMEOUT" in result.output
    assert "http.timeout" in result.output


def test_toml_syntax_error_exits_2_naming_the_line(paperwire: PaperwireCLI, tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text('[http]\nuser_agent = "x"\ntimeout = = 3\n')

    result = paperwire("--config", str(config), "fetch")

    assert result.exit_code == 2
    assert "line 3" in result.output
    assert str(config) in result.output


def test_missing_config_file_exits_2(paperwire: PaperwireCLI, tmp_path: Path) -> None:
    result = paperwire("fetch", "--config", str(tmp_path / "nope.toml"))

    assert result.exit_code == 2
    assert "nope.toml does not exist" in result.output


def test_bad_category_flag_exits_2(paperwire: PaperwireCLI) -> None:
    result = paperwire("fetch", "-c", "cs LG")

    assert result.exit_code == 2
    assert "'cs LG' is not an arXiv category" in result.output


def test_unreachable_database_exits_1_with_password_hidden(paperwire: PaperwireCLI) -> None:
    url = "postgresql+psycopg://someone:secret@127.0.0.1:1/nowhere"

    result = paperwire("search", "x", env={"PAPERWIRE_DATABASE__URL": url})

    assert result.exit_code == 1
    assert "secret" not in result.output
    assert result.output.startswith("paperwire: error: database ")


def test_search_finds_stored_papers_by_phrase_and_author_without_accents(
    paperwire: PaperwireCLI, arxiv: LoopbackServer
) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, FEED))
    paperwire("fetch", "--route", "rss", "-c", "cs.LG", "-c", "cs.AI")

    phrase = paperwire("search", '"low-rank adapters"', "--format", "json")
    author = paperwire("search", "rodriguez", "--format", "json")
    excluded = paperwire("search", "--", "graph", "-protein")

    assert [p["arxiv_id"] for p in json.loads(phrase.output)] == ["2611.10001"]
    assert [p["arxiv_id"] for p in json.loads(author.output)] == ["2611.10001"]
    assert excluded.exit_code == 1


def test_search_treats_query_syntax_as_text(paperwire: PaperwireCLI) -> None:
    result = paperwire("search", 'NEAR( "unbalanced', "AND", "*")

    assert result.exit_code == 1
    assert "nothing stored matches" in result.output


def test_digest_json_follows_the_spec(paperwire: PaperwireCLI, arxiv: LoopbackServer) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, FEED))
    paperwire("fetch", "--route", "rss", "-c", "cs.LG", "-c", "cs.AI")

    result = paperwire(
        "digest",
        "--no-fetch",
        "--date",
        "2026-11-17",
        "-c",
        "cs.LG",
        "-k",
        "low-rank adapters",
        "--format",
        "json",
    )

    document = json.loads(result.output)
    assert document["window"] == {"from": "2026-11-17", "to": "2026-11-17"}
    assert document["subscriber"] is None
    [paper] = document["papers"]
    assert paper["arxiv_id"] == "2611.10001"
    assert paper["matched"] == ["low-rank adapters"]
    assert paper["announce_type"] == "new"
    assert paper["authors"] == ["Ana Rodríguez", "Jörg Müller"]


def test_quiet_keeps_the_digest_and_drops_the_chatter(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, tmp_path: Path
) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, FEED))
    paperwire("fetch", "--route", "rss", "-c", "cs.LG", "-c", "cs.AI")
    args = ("digest", "--no-fetch", "--date", "2026-11-17", "-c", "cs.LG", "-k", "low-rank")

    shown = paperwire("-q", *args)
    written = paperwire("-q", *args, "-o", str(tmp_path / "d.txt"))

    assert shown.exit_code == 0 and "1 of 2 papers" in shown.stdout
    assert written.exit_code == 0 and written.output == ""  # no "wrote …"
    assert "low-rank adapters" in (tmp_path / "d.txt").read_text().lower()


def test_markdown_digest_written_to_a_file(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, tmp_path: Path
) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, FEED))
    paperwire("fetch", "--route", "rss", "-c", "cs.LG", "-c", "cs.AI")
    target = tmp_path / "digest.md"

    result = paperwire(
        "digest",
        "--no-fetch",
        "--date",
        "2026-11-17",
        "-c",
        "cs.LG",
        "--format",
        "markdown",
        "-o",
        str(target),
    )

    assert result.exit_code == 0, result.output
    text = target.read_text()
    assert "[Protein Graphs for Molecule Design](https://arxiv.org/abs/2611.10002)" in text
    assert r"$\mathcal{O}(\sqrt{k/n})$" in text


@pytest.mark.parametrize(
    "command",
    [
        "",
        "fetch",
        "digest",
        "search",
        "db",
        "db upgrade",
        "db status",
        "feedback",
        "feedback add",
        "feedback list",
        "feedback remove",
    ],
)
def test_every_help_ends_with_an_example(command: str) -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, [*command.split(), "--help"])

    assert result.exit_code == 0
    lines = result.output.rstrip().splitlines()
    heading = max(i for i, line in enumerate(lines) if line.strip().startswith("Example"))
    assert lines[heading + 1 :], "no example after the heading"
    assert all("paperwire " in line for line in lines[heading + 1 :])


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "paperwire", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0
    assert result.stdout.startswith("paperwire, version ")


def test_db_status_with_an_unreachable_database_is_one_line(paperwire: PaperwireCLI) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/x"

    result = paperwire("db", "status", env={"PAPERWIRE_DATABASE__URL": url})

    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert result.output.startswith("paperwire: error: database postgresql")


def test_digest_output_into_a_missing_folder_is_one_line(
    paperwire: PaperwireCLI, tmp_path: Path
) -> None:
    target = tmp_path / "no" / "such" / "digest.md"

    result = paperwire("digest", "--no-fetch", "-o", str(target))

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(f"paperwire: error: --output {target}")


def test_digest_without_categories_uses_the_configured_ones(
    paperwire: PaperwireCLI, arxiv: LoopbackServer
) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, FEED))
    paperwire("fetch", "--route", "rss", "-c", "cs.LG", "-c", "cs.AI")

    result = paperwire(
        "digest",
        "--no-fetch",
        "--date",
        "2026-11-17",
        "--format",
        "json",
        env={"PAPERWIRE_SOURCES__ARXIV__CATEGORIES": "cs.AI"},
    )

    assert [p["arxiv_id"] for p in json.loads(result.stdout)["papers"]] == ["2611.10001"]


def test_digest_says_when_nothing_is_stored_for_the_day(paperwire: PaperwireCLI) -> None:
    result = paperwire("digest", "--no-fetch", "--date", "2026-11-16", "-c", "cs.LG")

    assert result.exit_code == 0
    assert "nothing stored was announced on 2026-11-16" in result.stderr


@pytest.mark.parametrize("value", ["1234.5678901234", "../../etc/passwd", "2401.01234v99999"])
def test_fetch_refuses_ids_that_are_not_arxiv_ids(paperwire: PaperwireCLI, value: str) -> None:
    result = paperwire("fetch", "--id", value)

    assert result.exit_code == 2
    assert "is not an arXiv id" in result.output


def test_db_subcommands_take_the_global_options_too(
    paperwire: PaperwireCLI, tmp_path: Path, sqlite_url: str
) -> None:
    config = tmp_path / "db.toml"
    config.write_text(f'[database]\nurl = "{sqlite_url}"\n')

    result = paperwire("db", "--config", str(config), "status", "-q")

    assert result.exit_code == 0, result.output


def test_digest_output_never_replaces_a_symlink(paperwire: PaperwireCLI, tmp_path: Path) -> None:
    target = tmp_path / "real.md"
    target.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(target)

    result = paperwire("digest", "--no-fetch", "--format", "markdown", "-o", str(link))

    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert target.read_text().startswith("# arXiv digest")


def test_digest_output_with_no_file_name_is_refused(paperwire: PaperwireCLI) -> None:
    result = paperwire("digest", "--no-fetch", "-o", "")

    assert result.exit_code == 2
    assert "not a file name" in result.output


def test_database_written_by_a_newer_paperwire_is_one_line(
    paperwire: PaperwireCLI, sqlite_url: str
) -> None:
    paperwire("db", "upgrade")
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()

    for command in (("db", "status"), ("db", "upgrade"), ("search", "x")):
        result = paperwire(*command)
        assert result.exit_code == 1, command
        assert "revision 9999, which this version of paperwire does not know" in result.output


def test_digest_looks_again_for_a_day_no_source_showed_yet(
    paperwire: PaperwireCLI, arxiv: LoopbackServer
) -> None:
    # The feed is dated 2026-11-17; any later weekday's digest finds its own day missing.
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, FEED))
    arxiv.add("/list/cs.LG/new", Reply(404))
    arxiv.add("/list/cs.AI/new", Reply(404))

    paperwire("digest", "-c", "cs.LG", "-c", "cs.AI")
    paperwire("digest", "-c", "cs.LG", "-c", "cs.AI")

    assert len(arxiv.requests_to("/rss/cs.LG+cs.AI")) == 2


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["digest", "--limit", "0"], "--limit"),
        (["digest", "--format", "xml"], "--format"),
        (["digest", "--min-score", "abc"], "--min-score"),
        (["nosuch"], "nosuch"),
    ],
)
def test_usage_errors_are_one_line_with_status_2(
    paperwire: PaperwireCLI, args: list[str], named: str
) -> None:
    result = paperwire(*args)

    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("paperwire: error: ") and named in line and "--help" in line


def test_bare_paperwire_prints_its_help_and_exits_0(paperwire: PaperwireCLI) -> None:
    bare = paperwire()
    group = paperwire("subscribers")

    assert bare.exit_code == 0 and bare.stderr == ""
    assert bare.stdout.startswith("Usage: ") and "[OPTIONS] COMMAND" in bare.stdout
    assert "Commands:" in bare.stdout
    assert group.exit_code == 0 and "paperwire subscribers add" in group.stdout


def test_search_with_a_word_to_leave_out_says_how_to_write_it(paperwire: PaperwireCLI) -> None:
    result = paperwire("search", "diffusion", "-survey")

    assert result.exit_code == 2
    assert result.stderr == (
        "paperwire: error: No such option '-s'. (to leave out a word, quote the query: "
        "paperwire search 'diffusion -survey'; or put -- before it)\n"
    )
