"""A database the released code wrote (schema 0005) upgrades in place, with nothing lost.

The fixtures in tests/fixtures/legacy/ were written by paperwire at 38ee012 through its own
code paths (scripts/make-legacy-db; README.md there lists every row). Each test loads one into
a fresh SQLite file or PostgreSQL schema, opens it with this version (which migrates it), and
checks what the old code stored through this version's own API.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from paperwire.config import Settings
from paperwire.models import AnnounceType, DeliveryState, Paper, Route
from paperwire.readers import sync_readers
from paperwire.store import Store, open_store
from paperwire.store.engine import HEAD

LEGACY = Path(__file__).parent / "fixtures" / "legacy"
SEP_24, SEP_14, NOV_17 = dt.date(2026, 9, 24), dt.date(2026, 9, 14), dt.date(2026, 11, 17)
NOW = dt.datetime(2026, 12, 4, 12, tzinfo=dt.UTC)


def _load_sqlite(url: str) -> None:
    path = sa.make_url(url).database
    assert path is not None
    connection = sqlite3.connect(path)
    connection.executescript((LEGACY / "paperwire-0005.sqlite3.sql").read_text("utf-8"))
    connection.close()


def _load_postgres(url: str) -> None:
    schema = sa.make_url(url).query["options"].split("search_path=")[1]  # type: ignore[union-attr]
    text = (LEGACY / "paperwire-0005.postgres.sql").read_text("utf-8")
    engine = sa.create_engine(url)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            cursor.execute(text.replace("__SCHEMA__", f'"{schema}"'))  # no parameters: no %
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


@pytest.fixture
def legacy(db_url: str) -> Store:
    """The released code's database, opened (and so upgraded) by this version."""
    if db_url.startswith("sqlite"):
        _load_sqlite(db_url)
    else:
        _load_postgres(db_url)
    before = open_store(db_url, upgrade=False)
    assert before.schema_revision() == ("0005", HEAD)
    before.close()
    return open_store(db_url)


def test_the_schema_is_upgraded_in_place(legacy: Store) -> None:
    assert legacy.schema_revision() == (HEAD, HEAD)
    assert legacy.count_papers() == 8
    legacy.close()


def test_every_paper_keeps_its_metadata_and_becomes_source_neutral(legacy: Store) -> None:
    papers = legacy.get_papers(
        ["2609.01234", "2609.05678", "2611.10001", "2609.10001", "2609.20009"]
    )

    both = papers["2609.01234"]  # on arXiv, then featured on Hugging Face
    assert (both.key, both.arxiv_id, both.source) == ("2609.01234", "2609.01234", "arxiv")
    assert both.route is Route.RSS and both.announce_type is AnnounceType.NEW
    assert both.links["abs"] == "https://arxiv.org/abs/2609.01234"
    assert both.trending is not None and both.trending.upvotes == 57
    only_hf = papers["2609.10001"]
    assert (only_hf.source, only_hf.route, only_hf.arxiv_id) == (
        "huggingface",
        Route.HUGGINGFACE,
        "2609.10001",
    )
    assert only_hf.trending is not None and only_hf.trending.upvotes == 42
    assert papers["2611.10001"].route is Route.API
    assert papers["2609.05678"].announce_type is AnnounceType.CROSS
    legacy.close()


def test_a_journal_article_with_a_stored_papers_doi_is_that_paper(legacy: Store) -> None:
    # 2609.05678 was stored with DOI 10.1000/example.2026.5678; the journal's feed writes it
    # as a link with a fragment and upper case.
    article = Paper(
        "jir:article-5678",
        "Its journal version",
        doi="https://doi.org/10.1000/EXAMPLE.2026.5678#new_tab",
        source="jir",
        route=Route.FEED,
    )
    with legacy.transaction() as connection:
        legacy.upsert_papers(connection, [article], NOW)

    assert legacy.count_papers() == 8
    assert legacy.get_papers(["2609.05678"])["2609.05678"].arxiv_id == "2609.05678"
    legacy.close()


def test_announcements_estimates_and_search_survive(legacy: Store) -> None:
    announced = legacy.papers_announced(SEP_24, SEP_24)
    backfilled = legacy.papers_announced(NOV_17, NOV_17)

    assert {(p.key, p.announce_type) for p in announced} == {
        ("2609.01234", AnnounceType.NEW),
        ("2609.05678", AnnounceType.CROSS),
    }
    assert {p.key for p in backfilled} == {"2611.10001", "2611.10002"}
    assert [p.key for p in legacy.search("kernels")] == ["2609.01234"]
    assert {p.key for p in legacy.search("Rodriguez")} == {"2611.10001", "2609.01234"}
    assert [p.key for p in legacy.search("protein")] == ["2611.10002"]
    # The full-text index follows new writes after the renames.
    with legacy.transaction() as connection:
        legacy.upsert_papers(connection, [Paper("2612.00001", "Quokka kernels")], NOW)
    assert "2612.00001" in {p.key for p in legacy.search("quokka")}
    legacy.close()


def test_statistics_embeddings_and_fetch_history_are_kept(legacy: Store) -> None:
    blob, version = legacy.corpus_stats()
    assert blob is not None and version == 2
    assert set(legacy.embeddings(["2609.01234", "2611.10001"], "legacy-fixture/fake-4d")) == {
        "2609.01234",
        "2611.10001",
    }
    assert set(legacy.feed_days("cs.LG+stat.ML", SEP_24, SEP_24)) == {SEP_24}
    assert legacy.trending_days(SEP_14, SEP_14)[SEP_14].final is True
    legacy.close()


def test_readers_come_back_as_they_were_and_the_file_finds_them_unchanged(
    legacy: Store,
) -> None:
    readers = {r.email: r for r in legacy.subscribers.all()}

    assert set(readers) == {"ada@example.org", "bob@example.org", "carol@example.org",
                            "dan@example.org"}  # fmt: skip
    assert readers["ada@example.org"].profile.keywords == ["attention", "multi-task learning"]
    assert (readers["ada@example.org"].origin, readers["bob@example.org"].origin) == (
        "config",
        "cli",
    )
    assert readers["carol@example.org"].paused is True
    assert readers["dan@example.org"].mode == "trending"
    assert readers["bob@example.org"].channels == ("email",)
    # The same two readers in a file: nothing to update (the stored settings read the same).
    file = Settings.model_validate(
        {
            "subscribers": [
                {
                    "email": "ada@example.org",
                    "name": "Ada Lovelace",
                    "keywords": ["attention", "multi-task learning"],
                },
                {"email": "dan@example.org", "name": "Dan Trending", "mode": "trending"},
            ]
        }
    )
    report = sync_readers(legacy, file, NOW)
    assert (report.added, report.updated, report.removed) == ([], [], [])
    legacy.close()


def test_the_ledger_keeps_every_delivery_on_the_email_channel(legacy: Store) -> None:
    ledger = legacy.ledger
    deliveries = ledger.deliveries()

    assert [(d.id, d.subscriber, d.kind, d.channel, d.state) for d in deliveries] == [
        (1, "ada@example.org", "topics", "email", DeliveryState.SENT),
        (2, "bob@example.org", "topics", "email", DeliveryState.SKIPPED),
        (3, "dan@example.org", "trending", "email", DeliveryState.SENT),
        (4, "ada@example.org", "topics", "email", DeliveryState.FAILED),
        (5, "bob@example.org", "topics", "email", DeliveryState.PENDING),
    ]
    assert ledger.received("ada@example.org") == {"2609.01234"}  # the failed one never arrived
    assert ledger.received("bob@example.org") == {"2611.10002"}  # pending: about to
    assert ledger.received("dan@example.org") == {"2609.10001", "2609.10002", "2609.10003"}
    [pending] = ledger.pending()
    payload = ledger.payload(pending.id)
    assert payload is not None and len(payload) == 6247
    assert ledger.windows("ada@example.org") == [
        (SEP_24, SEP_24, DeliveryState.SENT),
        (dt.date(2026, 11, 11), NOV_17, DeliveryState.FAILED),
    ]
    legacy.close()
