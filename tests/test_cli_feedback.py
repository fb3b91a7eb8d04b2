"""`paperwire feedback`: a reader's 👍/👎 recorded, listed and taken back from the command
line, checked against what the database holds, and what the reader's digest makes of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import PaperwireCLI
from sitekit import DAY, announce, paper

from paperwire.store import open_store

FOLDING = (
    "Protein structure prediction and folding with learned energy functions over residue "
    "contacts, evaluated on CASP targets."
)
EARLIER = "2026-11-23"


def votes(url: str, email: str = "ada@example.org") -> list[tuple[str, int, str]]:
    """The database's votes of a reader, newest first, read with a store of the test's own."""
    with open_store(url) as store:
        return [(v.paper, v.vote, v.via) for v in store.feedback.votes(email)]


@pytest.fixture
def cli(tmp_path: Path, db_url: str) -> PaperwireCLI:
    """The CLI on a store holding a reader and a few papers (SQLite and PostgreSQL)."""
    import datetime as dt

    day1 = dt.date.fromisoformat(EARLIER)
    with open_store(db_url) as store:
        announce(
            store,
            *[
                paper(f"2611.0100{n}", f"Protein folding with contact maps {n}", FOLDING, day=day1)
                for n in range(4)
            ],
            paper("2611.02001", "Residue contacts predict protein folding energy", FOLDING),
            paper("2611.02002", "Diffusion models for images"),
        )
    runner = PaperwireCLI(tmp_path, None, db_url)
    result = runner("subscribers", "add", "ada@example.org", "-c", "cs.LG", "-k", "diffusion")
    assert result.exit_code == 0, result.output
    return runner


def test_add_records_each_paper_however_its_id_is_written(cli: PaperwireCLI, db_url: str) -> None:
    result = cli(
        "feedback",
        "add",
        "ada@example.org",
        "2611.01000",
        "arXiv:2611.01001v2",
        "https://arxiv.org/abs/2611.01002",
    )

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "👍 2611.01000  Protein folding with contact maps 0",
        "👍 2611.01001  Protein folding with contact maps 1",
        "👍 2611.01002  Protein folding with contact maps 2",
        "3 judgments: the ranker learns from them",
    ]
    assert sorted(votes(db_url)) == [
        ("2611.01000", 1, "cli"),
        ("2611.01001", 1, "cli"),
        ("2611.01002", 1, "cli"),
    ]


def test_add_takes_a_doi_however_it_is_written(cli: PaperwireCLI, db_url: str) -> None:
    import datetime as dt

    from paperwire.models import Paper

    with open_store(db_url) as store:
        preprint = Paper(
            "doi:10.1101/743294",
            "Neurons of the mouse cortex",
            abstract="A preprint.",
            authors=["Ada Lovelace"],
            announced=dt.date.fromisoformat(EARLIER),
            source="biorxiv",
            doi="10.1101/743294",
            aliases=("doi:10.1101/743294",),
        )
        announce(store, preprint)

    result = cli(
        "feedback",
        "add",
        "ada@example.org",
        "https://doi.org/10.1101/743294",
        "10.48550/arXiv.2611.01001",  # arXiv's own DOI: the arXiv paper
    )

    assert result.exit_code == 0, result.output
    assert sorted(votes(db_url)) == [("2611.01001", 1, "cli"), ("doi:10.1101/743294", 1, "cli")]


def test_down_replaces_an_earlier_up(cli: PaperwireCLI, db_url: str) -> None:
    cli("feedback", "add", "ada@example.org", "2611.01000")

    result = cli("feedback", "add", "ada@example.org", "2611.01000", "--down")

    assert result.exit_code == 0, result.output
    assert "1 judgment: the ranker learns from 3 on" in result.stdout
    assert votes(db_url) == [("2611.01000", -1, "cli")]


def test_an_unknown_paper_records_nothing_and_names_it(cli: PaperwireCLI, db_url: str) -> None:
    result = cli("feedback", "add", "ada@example.org", "2611.01000", "2611.09999")

    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "paperwire: error: paper '2611.09999' is not in the store "
        "(paperwire search finds the stored papers)"
    ]
    assert "Traceback" not in result.output
    assert votes(db_url) == []  # not even the paper that was found


def test_an_unknown_reader_is_one_line_naming_the_address(cli: PaperwireCLI) -> None:
    result = cli("feedback", "add", "bob@example.org", "2611.01000")

    assert result.exit_code == 2
    assert "bob@example.org is not a subscriber" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_list_shows_votes_newest_first_as_json(cli: PaperwireCLI) -> None:
    cli("feedback", "add", "ada@example.org", "2611.01000")
    cli("feedback", "add", "ada@example.org", "2611.02002", "--down")

    result = cli("feedback", "list", "ada@example.org", "--format", "json")

    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["paper"], r["vote"], r["title"], r["via"]) for r in rows] == [
        ("2611.02002", "down", "Diffusion models for images", "cli"),
        ("2611.01000", "up", "Protein folding with contact maps 0", "cli"),
    ]
    assert all(r["at"].endswith("Z") for r in rows)


def test_list_as_a_table_and_with_no_votes(cli: PaperwireCLI) -> None:
    empty = cli("feedback", "list", "ada@example.org")
    cli("feedback", "add", "ada@example.org", "2611.01000")

    table = cli("feedback", "list", "ada@example.org")

    assert empty.exit_code == 0 and empty.stdout == "" and "no votes" in empty.stderr
    assert "2611.01000" in table.stdout and "Protein folding" in table.stdout
    assert "👍" in table.stdout
    assert "1 judgment: the ranker learns from 3 on" in table.stderr


def test_remove_takes_a_vote_back_and_refuses_one_never_given(
    cli: PaperwireCLI, db_url: str
) -> None:
    cli("feedback", "add", "ada@example.org", "2611.01000", "2611.01001")

    refused = cli("feedback", "remove", "ada@example.org", "2611.01001", "2611.02002")
    removed = cli("feedback", "remove", "ada@example.org", "arXiv:2611.01001v1")

    assert refused.exit_code == 2
    assert "ada@example.org has no vote on '2611.02002'" in refused.stderr
    assert removed.exit_code == 0, removed.output
    assert removed.stdout.splitlines()[0] == "removed the vote on 2611.01001"
    assert votes(db_url) == [("2611.01000", 1, "cli")]


def test_remove_of_one_paper_named_twice_takes_it_back_once(cli: PaperwireCLI) -> None:
    cli("feedback", "add", "ada@example.org", "2611.01000")

    removed = cli("feedback", "remove", "ada@example.org", "2611.01000", "arXiv:2611.01000v1")

    assert removed.exit_code == 0, removed.output
    assert removed.stdout.splitlines()[0] == "removed the vote on 2611.01000"
    assert "removed the vote" not in "".join(removed.stdout.splitlines()[1:])


def test_the_readers_digest_learns_from_three_likes(cli: PaperwireCLI) -> None:
    def listed() -> dict[str, list[str]]:
        result = cli(
            "digest",
            "--subscriber",
            "ada@example.org",
            "--no-fetch",
            "--date",
            DAY.isoformat(),
            "--format",
            "json",
        )
        assert result.exit_code == 0, result.output
        return {p["arxiv_id"]: p["matched"] for p in json.loads(result.stdout)["papers"]}

    before = listed()
    cli("feedback", "add", "ada@example.org", "2611.01000", "2611.01001", "2611.01002")
    after = listed()

    assert before == {"2611.02002": ["diffusion"]}
    assert after["2611.02002"] == ["diffusion"]
    assert after["2611.02001"] == ["like 2611.01000, 2611.01001, 2611.01002"]
