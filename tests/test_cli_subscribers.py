"""`paperwire subscribers`: readers kept in the database, checked like the configuration's."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import PaperwireCLI

from paperwire.config import SubscriberSettings, load_settings
from paperwire.store import open_store
from paperwire.store.ledger import SENT, PlannedDelivery

FILE_READER = """
[[subscribers]]
email = "file@example.org"
name = "File Reader"
categories = ["cs.LG"]
send_at = "07:00"
timezone = "Europe/Berlin"
"""


@dataclass(frozen=True)
class Stored:
    """A stored reader's settings (checked by the file's model) and where they come from."""

    settings: SubscriberSettings
    origin: str
    created_at: dt.datetime | None
    updated_at: dt.datetime | None


def readers(url: str) -> dict[str, Stored]:
    """What the database holds, read with a store of the test's own."""
    with open_store(url) as store:
        return {
            r.email: Stored(
                SubscriberSettings.model_validate(r.settings()),
                r.origin,
                r.created_at,
                r.updated_at,
            )
            for r in store.subscribers.all()
        }


def write_config(home: Path, text: str) -> Path:
    """./paperwire.toml in the directory the CLI runs in: found without --config."""
    path = home / "paperwire.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def on_db(tmp_path: Path, db_url: str) -> PaperwireCLI:
    """The CLI on a SQLite file and on the real PostgreSQL."""
    return PaperwireCLI(tmp_path, None, db_url)


def test_add_stores_the_subscriber_with_every_setting_given(
    on_db: PaperwireCLI, db_url: str
) -> None:
    result = on_db(
        "subscribers",
        "add",
        "ada@example.org",
        "--name",
        "Ada Lovelace",
        "-c",
        "cs.LG",
        "--category",
        "stat.ML^0.5",
        "-k",
        "multi-task learning",
        "-k",
        "MTL^2",
        "--exclude",
        "survey",
        "--author",
        "Yann LeCun",
        "--like",
        "arXiv:2401.01234v2",
        "--query",
        "diffusion NOT survey",
        "--description",
        "Sharing representations across tasks.",
        "--timezone",
        "Europe/Berlin",
        "--send-at",
        "7:00",
        "--frequency",
        "weekly",
        "--weekday",
        "Fri",
        "--max-papers",
        "10",
        "--min-score",
        "1.5",
        "--paused",
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == "added ada@example.org\n"
    [stored] = readers(db_url).values()
    assert stored.origin == "cli"
    assert stored.settings == SubscriberSettings(
        email="ada@example.org",
        name="Ada Lovelace",
        categories=["cs.LG", "stat.ML^0.5"],
        keywords=["multi-task learning", "MTL^2"],
        exclude=["survey"],
        authors=["Yann LeCun"],
        like=["2401.01234"],
        query="diffusion NOT survey",
        description="Sharing representations across tasks.",
        timezone="Europe/Berlin",
        send_at="07:00",
        frequency="weekly",
        weekday="friday",
        max_papers=10,
        min_score=1.5,
        paused=True,
    )


def test_add_with_only_an_address_takes_the_defaults(
    paperwire: PaperwireCLI, sqlite_url: str
) -> None:
    result = paperwire("subscribers", "add", "bob@example.org")

    assert result.exit_code == 0, result.output
    assert readers(sqlite_url)["bob@example.org"].settings == SubscriberSettings(
        email="bob@example.org"
    )


def test_add_with_a_bad_address_exits_2_naming_it_and_stores_nothing(
    paperwire: PaperwireCLI, sqlite_url: str
) -> None:
    result = paperwire("subscribers", "add", "not-an-address", "-k", "diffusion")

    assert result.exit_code == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("paperwire: error: EMAIL: 'not-an-address' is not an email address: ")
    assert readers(sqlite_url) == {}


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--timezone", "Mars/Base", "'Mars/Base' is not a time zone such as 'Europe/Berlin'"),
        ("--send-at", "25:00", "'25:00' is not a time of day such as '07:00'"),
        ("--weekday", "funday", "'funday' is not a day of the week such as 'monday'"),
        ("--category", "xx.YY", "'xx.YY' is not an arXiv category such as 'cs.LG'"),
        ("--like", "not-an-id", "'not-an-id' is not an arXiv id"),
        ("--max-papers", "0", "Input should be greater than or equal to 1"),
        ("--keyword", "LoRA^x", "term 'LoRA^x': the weight after ^ is not a number"),
    ],
)
def test_add_with_a_bad_value_exits_2_naming_the_option_and_stores_nothing(
    paperwire: PaperwireCLI, sqlite_url: str, option: str, value: str, message: str
) -> None:
    result = paperwire("subscribers", "add", "ada@example.org", option, value)

    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"paperwire: error: {option}: {message}")
    assert "Traceback" not in result.output
    assert readers(sqlite_url) == {}


def test_adding_an_address_twice_is_refused_and_keeps_the_first(
    paperwire: PaperwireCLI, sqlite_url: str
) -> None:
    paperwire("subscribers", "add", "ada@example.org", "-k", "first")

    again = paperwire("subscribers", "add", "ADA@Example.org", "-k", "second")

    assert again.exit_code == 2
    assert again.stderr == (
        "paperwire: error: ADA@example.org is already a subscriber "
        "(use `paperwire subscribers edit`)\n"
    )
    assert readers(sqlite_url)["ada@example.org"].settings.keywords == ["first"]


def test_list_shows_each_reader_with_origin_schedule_and_topics(
    paperwire: PaperwireCLI,
) -> None:
    write_config(paperwire.home, FILE_READER)
    paperwire("subscribers", "add", "ada@example.org", "--name", "Ada", "-k", "MTL", "--paused")
    paperwire("subscribers", "add", "bob@example.org", "--frequency", "weekly")

    result = paperwire("subscribers", "list", env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    rows = [
        [cell.strip() for cell in line.strip("│").split("│")]
        for line in result.stdout.splitlines()
        if "@" in line
    ]
    assert rows == [
        ["ada@example.org", "Ada", "db", "as announced", "all categories; MTL", "paused"],
        ["bob@example.org", "", "db", "weekly on monday (UTC)", "all categories", ""],
        ["file@example.org", "File Reader", "file", "daily at 07:00 (Europe/Berlin)", "cs.LG", ""],
    ]


def test_list_json_gives_each_readers_settings_and_origin(paperwire: PaperwireCLI) -> None:
    write_config(paperwire.home, FILE_READER)
    paperwire("subscribers", "add", "ada@example.org", "-c", "cs.CL", "--max-papers", "5")

    result = paperwire("subscribers", "list", "--format", "json")

    assert result.exit_code == 0, result.output
    defaults = SubscriberSettings(email="x@example.org").model_dump(mode="json")
    assert json.loads(result.stdout) == [
        defaults
        | {"email": "ada@example.org", "categories": ["cs.CL"], "max_papers": 5, "origin": "db"},
        defaults
        | {
            "email": "file@example.org",
            "name": "File Reader",
            "categories": ["cs.LG"],
            "send_at": "07:00",
            "timezone": "Europe/Berlin",
            "origin": "file",
        },
    ]


def test_list_with_no_subscribers_says_so_on_stderr(paperwire: PaperwireCLI) -> None:
    result = paperwire("subscribers", "list")

    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "no subscribers\n"


def test_show_prints_every_setting_the_origin_and_the_last_digest(
    paperwire: PaperwireCLI, sqlite_url: str
) -> None:
    paperwire("subscribers", "add", "ada@example.org", "--name", "Ada", "-k", "MTL", "-k", "LoRA")
    sent_at = dt.datetime(2026, 11, 20, 7, 0, tzinfo=dt.UTC)
    with open_store(sqlite_url) as store:
        ledger = store.ledger
        planned = PlannedDelivery(
            "ada@example.org",
            dt.date(2026, 11, 19),
            dt.date(2026, 11, 20),
            "<1@example.org>",
            "arXiv digest",
            b"message",
            [("2611.00001", 3.0), ("2611.00002", 2.0)],
        )
        delivery_id = ledger.add(planned, sent_at)
        assert delivery_id is not None
        ledger.finish(delivery_id, SENT, reply="250 OK", transport="outbox", now=sent_at)
    stored = readers(sqlite_url)["ada@example.org"]

    result = paperwire("subscribers", "show", "ada@example.org")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "email           ada@example.org",
        "name            Ada",
        "categories      (all configured categories)",
        "keywords        MTL, LoRA",
        "exclude         (none)",
        "authors         (none)",
        "description     (none)",
        "like            (none)",
        "query           (none)",
        "timezone        (digest default: UTC)",
        "send_at         (digest default: as announced)",
        "mode            topics",
        "trending_filter no",
        "frequency       daily",
        "weekday         monday",
        "max_papers      (digest default: 25)",
        "min_score       (digest default: 0.0)",
        "paused          no",
        "sources         (every configured source)",
        "channels        email",
        "schedule        as announced",
        "origin          db (added with paperwire subscribers)",
        f"created         {stored.created_at:%Y-%m-%d %H:%M} UTC",
        f"updated         {stored.updated_at:%Y-%m-%d %H:%M} UTC",
        "last digest     2026-11-19 to 2026-11-20: sent 2026-11-20 07:00 UTC (2 papers)",
    ]


def test_show_of_a_file_reader_names_the_file(paperwire: PaperwireCLI) -> None:
    config = write_config(paperwire.home, FILE_READER)

    result = paperwire("subscribers", "show", "file@example.org")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert f"origin          file (the configuration file {config})" in lines
    assert "schedule        daily at 07:00 (Europe/Berlin)" in lines
    assert "last digest     none yet" in lines


def test_show_of_an_unknown_address_exits_2_naming_it(paperwire: PaperwireCLI) -> None:
    result = paperwire("subscribers", "show", "zed@example.org")

    assert result.exit_code == 2
    assert result.stderr == (
        "paperwire: error: zed@example.org is not a subscriber (see paperwire subscribers list)\n"
    )


def test_edit_changes_only_the_given_fields(on_db: PaperwireCLI, db_url: str) -> None:
    on_db("subscribers", "add", "ada@example.org", "--name", "Ada", "-c", "cs.LG", "-k", "MTL")
    before = readers(db_url)["ada@example.org"]

    result = on_db(
        "subscribers",
        "edit",
        "ada@example.org",
        "-k",
        "LoRA",
        "-k",
        "adapters",
        "--send-at",
        "7:30",
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == "updated ada@example.org: keywords, send_at\n"
    after = readers(db_url)["ada@example.org"]
    assert after.settings == before.settings.model_copy(
        update={"keywords": ["LoRA", "adapters"], "send_at": "07:30"}
    )
    assert after.origin == "cli" and after.created_at == before.created_at


def test_edit_adds_and_removes_keywords_clears_and_pauses(
    paperwire: PaperwireCLI, sqlite_url: str
) -> None:
    paperwire(
        "subscribers", "add", "ada@example.org", "-k", "MTL^2", "-k", "LoRA", "--max-papers", "5"
    )

    result = paperwire(
        "subscribers",
        "edit",
        "ada@example.org",
        "--remove-keyword",
        "mtl",
        "--add-keyword",
        "adapters",
        "--clear",
        "max_papers",
        "--pause",
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == "updated ada@example.org: keywords, max_papers, paused\n"
    settings = readers(sqlite_url)["ada@example.org"].settings
    assert (settings.keywords, settings.max_papers, settings.paused) == (
        ["LoRA", "adapters"],
        None,
        True,
    )
    resumed = paperwire("subscribers", "edit", "ada@example.org", "--resume")
    assert resumed.stdout == "updated ada@example.org: paused\n"
    assert readers(sqlite_url)["ada@example.org"].settings.paused is False


def test_edit_with_a_bad_value_exits_2_and_changes_nothing(
    paperwire: PaperwireCLI, sqlite_url: str
) -> None:
    paperwire("subscribers", "add", "ada@example.org", "-k", "MTL")
    before = readers(sqlite_url)

    result = paperwire(
        "subscribers", "edit", "ada@example.org", "-k", "LoRA", "--timezone", "Mars/Base"
    )

    assert result.exit_code == 2
    assert result.stderr.startswith("paperwire: error: --timezone: 'Mars/Base' is not a time zone")
    assert readers(sqlite_url) == before


def test_edit_without_a_change_writes_nothing(paperwire: PaperwireCLI, sqlite_url: str) -> None:
    paperwire("subscribers", "add", "ada@example.org", "--send-at", "07:00")
    before = readers(sqlite_url)

    result = paperwire("subscribers", "edit", "ada@example.org", "--send-at", "7:00")

    assert result.exit_code == 0
    assert result.stdout == "ada@example.org: nothing changed\n"
    assert readers(sqlite_url) == before  # updated_at too


@pytest.mark.parametrize(
    ("args", "verb"),
    [
        (("edit", "file@example.org", "-k", "LoRA"), "edit"),
        (("remove", "file@example.org"), "remove"),
    ],
)
def test_a_configuration_file_reader_cannot_be_changed_here(
    paperwire: PaperwireCLI, sqlite_url: str, args: tuple[str, ...], verb: str
) -> None:
    config = write_config(paperwire.home, FILE_READER)
    paperwire("subscribers", "list")
    before = readers(sqlite_url)["file@example.org"]

    result = paperwire("subscribers", *args)

    assert result.exit_code == 2
    assert result.stderr == (
        f"paperwire: error: file@example.org is in the configuration file {config}; "
        f"{verb} it there\n"
    )
    assert readers(sqlite_url)["file@example.org"] == before
    assert before.origin == "config" and before.settings.keywords == []


def test_remove_forgets_the_reader_and_keeps_their_deliveries(
    on_db: PaperwireCLI, db_url: str
) -> None:
    on_db("subscribers", "add", "ada@example.org")
    on_db("subscribers", "add", "bob@example.org")
    now = dt.datetime(2026, 11, 20, 7, 0, tzinfo=dt.UTC)
    with open_store(db_url) as store:
        planned = PlannedDelivery(
            "ada@example.org", now.date(), now.date(), "<1@x>", "digest", None, []
        )
        store.ledger.add(planned, now)

    result = on_db("subscribers", "remove", "ADA@example.org")

    assert result.exit_code == 0, result.output
    assert result.stdout == "removed ada@example.org (their delivery history is kept)\n"
    assert list(readers(db_url)) == ["bob@example.org"]
    with open_store(db_url) as store:
        assert len(store.ledger.deliveries("ada@example.org")) == 1


def test_remove_of_an_unknown_address_exits_2(paperwire: PaperwireCLI) -> None:
    result = paperwire("subscribers", "remove", "zed@example.org")

    assert result.exit_code == 2
    assert "zed@example.org is not a subscriber" in result.stderr


def test_the_configuration_files_readers_follow_the_file(
    paperwire: PaperwireCLI, sqlite_url: str
) -> None:
    config = write_config(paperwire.home, FILE_READER)
    paperwire("subscribers", "add", "ada@example.org")

    listed = paperwire("subscribers", "list", "--format", "json")
    config.write_text(FILE_READER.replace('send_at = "07:00"', 'send_at = "09:15"'))
    shown = paperwire("subscribers", "show", "file@example.org")
    config.write_text("")
    emptied = paperwire("subscribers", "list", "--format", "json")

    assert [(r["email"], r["origin"]) for r in json.loads(listed.stdout)] == [
        ("ada@example.org", "db"),
        ("file@example.org", "file"),
    ]
    assert "send_at         09:15" in shown.stdout.splitlines()
    assert [r["email"] for r in json.loads(emptied.stdout)] == ["ada@example.org"]
    assert list(readers(sqlite_url)) == ["ada@example.org"]


def test_import_toml_adds_every_entry(on_db: PaperwireCLI, db_url: str, tmp_path: Path) -> None:
    source = tmp_path / "readers.toml"
    source.write_text(
        '[[subscribers]]\nemail = "ada@example.org"\nkeywords = ["MTL"]\n'
        '[[subscribers]]\nemail = "bob@example.org"\nfrequency = "weekly"\nweekday = "tue"\n'
    )

    result = on_db("subscribers", "import", str(source))

    assert result.exit_code == 0, result.output
    assert result.stdout == "imported 2\n"
    stored = readers(db_url)
    assert stored["ada@example.org"].settings.keywords == ["MTL"]
    assert stored["bob@example.org"].settings.weekday == "tuesday"
    assert {s.origin for s in stored.values()} == {"cli"}


def test_import_json_skips_readers_already_there_unless_replace(
    paperwire: PaperwireCLI, sqlite_url: str, tmp_path: Path
) -> None:
    write_config(paperwire.home, FILE_READER)
    paperwire("subscribers", "add", "ada@example.org", "-k", "old")
    source = tmp_path / "readers.json"
    source.write_text(
        json.dumps(
            [
                {"email": "ada@example.org", "keywords": ["new"]},
                {"email": "bob@example.org"},
                {"email": "file@example.org", "keywords": ["sneaky"]},
            ]
        )
    )

    first = paperwire("subscribers", "import", str(source))
    kept = readers(sqlite_url)["ada@example.org"].settings.keywords
    second = paperwire("subscribers", "import", "--replace", str(source))

    assert first.stdout == (
        "imported 1, skipped 2 (already subscribed: ada@example.org; "
        "in the configuration file: file@example.org)\n"
    )
    assert kept == ["old"]
    assert second.stdout == (
        "imported 0, replaced 1, skipped 2 (unchanged: bob@example.org; "
        "in the configuration file: file@example.org)\n"
    )
    stored = readers(sqlite_url)
    assert stored["ada@example.org"].settings.keywords == ["new"]
    assert stored["file@example.org"].settings.keywords == []
    assert stored["file@example.org"].origin == "config"


def test_import_with_one_bad_entry_imports_nothing(
    on_db: PaperwireCLI, db_url: str, tmp_path: Path
) -> None:
    source = tmp_path / "readers.toml"
    source.write_text(
        '[[subscribers]]\nemail = "ada@example.org"\n'
        '[[subscribers]]\nemail = "bob@example.org"\n'
        '[[subscribers]]\nemail = "not-an-address"\n'
    )

    result = on_db("subscribers", "import", str(source))

    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(
        f"paperwire: error: {source}: subscribers[2].email: "
        "'not-an-address' is not an email address"
    )
    assert readers(db_url) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[subscriber]]\nemail = "a@example.org"\n', "subscriber: unknown key"),
        (
            '[[subscribers]]\nemail = "a@example.org"\nkeywrds = ["x"]\n',
            "subscribers[0].keywrds: unknown key",
        ),
        (
            '[[subscribers]]\nemail = "a@example.org"\n[[subscribers]]\nemail = "A@example.org"\n',
            "is listed twice",
        ),
        ("[[subscribers]\n", "invalid TOML"),
    ],
)
def test_import_of_a_malformed_file_exits_2_and_says_why(
    paperwire: PaperwireCLI, sqlite_url: str, tmp_path: Path, text: str, message: str
) -> None:
    source = tmp_path / "readers.toml"
    source.write_text(text)

    result = paperwire("subscribers", "import", str(source))

    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.splitlines()) == 1
    assert readers(sqlite_url) == {}


@pytest.mark.parametrize("output_format", ["toml", "json"])
def test_export_then_import_into_a_new_database_gives_identical_text(
    on_db: PaperwireCLI, tmp_path: Path, output_format: str
) -> None:
    write_config(on_db.home, FILE_READER)
    on_db(
        "subscribers", "add", "ada@example.org", "--name", "Ada „Byron“", "-c", "cs.LG^0.5",
        "-k", 'say "hi"', "--min-score", "0.1", "--like", "2401.01234", "--paused",
    )  # fmt: skip
    on_db("subscribers", "add", "bob@example.org", "--frequency", "weekly", "--weekday", "sun")
    exported = on_db("subscribers", "export", "--format", output_format)
    dump = tmp_path / f"readers.{output_format}"
    dump.write_text(exported.stdout, encoding="utf-8")
    (on_db.home / "paperwire.toml").unlink()
    elsewhere = PaperwireCLI(tmp_path, None, f"sqlite:///{tmp_path / 'second.sqlite3'}")

    imported = elsewhere("subscribers", "import", str(dump))
    again = elsewhere("subscribers", "export", "--format", output_format)

    assert exported.exit_code == 0 and imported.exit_code == 0, imported.output
    assert imported.stdout == "imported 3\n"
    assert again.stdout == exported.stdout
    assert "ada@example.org" in exported.stdout


def test_exported_toml_is_a_configuration_fragment(paperwire: PaperwireCLI, tmp_path: Path) -> None:
    paperwire("subscribers", "add", "ada@example.org", "-k", "MTL", "--send-at", "07:00")
    output = tmp_path / "readers.toml"

    result = paperwire("subscribers", "export", "-o", str(output))

    assert result.exit_code == 0, result.output
    assert result.stderr == f"wrote 1 subscriber to {output}\n"
    settings = load_settings(output, env={})
    assert settings.subscribers == [
        SubscriberSettings(email="ada@example.org", keywords=["MTL"], send_at="07:00")
    ]


def test_export_only_db_leaves_out_the_files_readers(paperwire: PaperwireCLI) -> None:
    write_config(paperwire.home, FILE_READER)
    paperwire("subscribers", "add", "ada@example.org")

    result = paperwire("subscribers", "export", "--only-db", "--format", "json")

    assert json.loads(result.stdout) == [{"email": "ada@example.org"}]


def test_common_options_work_before_and_after_the_subcommand(
    paperwire: PaperwireCLI, sqlite_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text(FILE_READER)

    before = paperwire("--config", str(config), "-q", "subscribers", "add", "a@example.org")
    between = paperwire("subscribers", "--config", str(config), "-q", "add", "b@example.org")
    after = paperwire("subscribers", "add", "c@example.org", "--config", str(config), "-q")

    assert [r.exit_code for r in (before, between, after)] == [0, 0, 0]
    assert before.stdout == between.stdout == after.stdout == ""  # -q: no "added" line
    assert list(readers(sqlite_url)) == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
        "file@example.org",
    ]


@pytest.mark.parametrize(
    "subcommand",
    [(), ("add",), ("list",), ("show",), ("edit",), ("remove",), ("import",), ("export",)],
)
def test_help_ends_with_an_example(paperwire: PaperwireCLI, subcommand: tuple[str, ...]) -> None:
    result = paperwire("subscribers", *subcommand, "--help")

    assert result.exit_code == 0, result.output
    lines = result.stdout.rstrip().splitlines()
    example_title = max(
        i for i, line in enumerate(lines) if line.strip() in ("Example:", "Examples:")
    )
    assert all(line.startswith("    paperwire subscribers ") for line in lines[example_title + 1 :])


FEED = '[[sources.feeds]]\nname = "biorxiv"\nurl = "http://127.0.0.1:9/biorxiv.xml"\n'


def test_a_reader_may_only_name_a_configured_source(
    paperwire: PaperwireCLI, sqlite_url: str, tmp_path: Path
) -> None:
    write_config(tmp_path, FEED)

    unknown = paperwire("subscribers", "add", "ada@example.org", "--source", "medrxiv")
    known = paperwire("subscribers", "add", "bob@example.org", "--source", "biorxiv")
    edited = paperwire("subscribers", "edit", "bob@example.org", "--source", "nature")

    assert unknown.exit_code == 2
    assert unknown.stderr == (
        "paperwire: error: --source: 'medrxiv' is not a configured source "
        "(arxiv, huggingface, biorxiv)\n"
    )
    assert known.exit_code == 0, known.output
    assert edited.exit_code == 2
    assert edited.stderr.startswith("paperwire: error: --source: 'nature' is not a configured")
    stored = readers(sqlite_url)
    assert set(stored) == {"bob@example.org"}
    assert stored["bob@example.org"].settings.sources == ["biorxiv"]


def test_import_accepts_the_configured_feeds_and_refuses_others(
    paperwire: PaperwireCLI, sqlite_url: str, tmp_path: Path
) -> None:
    write_config(tmp_path, FEED)
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text('[[subscribers]]\nemail = "ada@example.org"\nsources = ["biorxiv"]\n')
    bad.write_text('[[subscribers]]\nemail = "bob@example.org"\nsources = ["nature"]\n')

    refused = paperwire("subscribers", "import", str(bad))
    imported = paperwire("subscribers", "import", str(good))

    assert refused.exit_code == 2
    [line] = refused.stderr.splitlines()
    assert "'nature' is not a configured source" in line
    assert imported.exit_code == 0, imported.output
    assert set(readers(sqlite_url)) == {"ada@example.org"}


def test_edit_clear_offers_every_setting_the_library_can_clear() -> None:
    from paperwire.cli.subscribers import CLEARABLE
    from paperwire.subscriptions import CLEARABLE as LIBRARY_CLEARABLE

    assert CLEARABLE == LIBRARY_CLEARABLE


def test_a_source_dropped_from_the_configuration_does_not_block_other_edits(
    paperwire: PaperwireCLI, sqlite_url: str, tmp_path: Path
) -> None:
    write_config(tmp_path, FEED)
    assert paperwire("subscribers", "add", "bob@example.org", "--source", "biorxiv").exit_code == 0
    write_config(tmp_path, "")  # the feed is gone

    paused = paperwire("subscribers", "edit", "bob@example.org", "--pause")
    other = paperwire("subscribers", "edit", "bob@example.org", "--source", "medrxiv")

    assert paused.exit_code == 0, paused.output
    assert readers(sqlite_url)["bob@example.org"].settings.paused
    assert other.exit_code == 2
    assert "'medrxiv' is not a configured source" in other.stderr


def test_edit_without_options_first_says_who_cannot_be_edited(paperwire: PaperwireCLI) -> None:
    result = paperwire("subscribers", "edit", "nobody@example.org")

    assert result.exit_code == 2
    assert result.stderr.startswith("paperwire: error: nobody@example.org is not a subscriber")
