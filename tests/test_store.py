"""The store on a SQLite file and on the real PostgreSQL: migrations, merging, search."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from paperwire.errors import StoreError
from paperwire.models import AnnounceType, Paper, Route
from paperwire.store import Store, open_store

NOW = dt.datetime(2026, 11, 23, 6, tzinfo=dt.UTC)
DAY = dt.date(2026, 11, 23)


def _paper(**fields: object) -> Paper:
    values: dict[str, object] = {
        "key": "2611.00001",
        "title": "State Space Models for Long Sequences",
        "abstract": "We scale selective state space models.",
        "authors": ["Ana Rodríguez", "Bo Li"],
        "categories": ["cs.LG"],
        "primary_category": "cs.LG",
        "version": 1,
        "announce_type": AnnounceType.NEW,
        "announced": DAY,
        "route": Route.RSS,
    }
    values.update(fields)
    return Paper(**values)  # type: ignore[arg-type]


def _upsert(store: Store, *papers: Paper) -> tuple[int, int, int]:
    with store.transaction() as connection:
        counts = store.upsert_papers(connection, list(papers), NOW)
    return counts.added, counts.updated, counts.unchanged


def test_new_database_is_migrated_to_the_newest_revision(store: Store) -> None:
    current, head = store.schema_revision()

    assert current == head == "0007"


def test_database_at_0001_upgrades_keeping_its_papers(db_url: str) -> None:
    from alembic import command
    from sqlalchemy import text

    from paperwire.store.engine import _alembic_config, create_store_engine

    engine = create_store_engine(db_url)
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0001")
        # A row as the first version wrote it (this version's upsert needs newer columns).
        connection.execute(
            text(
                "INSERT INTO papers (arxiv_id, version, title, abstract, authors, "
                "authors_folded, categories, announced_estimated, links, sources, "
                "first_seen_at, updated_at) VALUES ('2611.00001', 1, 'State Space Models', "
                "'We scale them.', '[]', '', '[\"cs.LG\"]', false, '{}', 1, :now, :now)"
            ),
            {"now": NOW},
        )
    old = Store(engine)
    assert old.schema_revision()[0] == "0001"

    assert old.upgrade() is True

    assert old.schema_revision()[0] == "0007"
    paper = old.get_paper("2611.00001")
    assert paper is not None and paper.title == "State Space Models"
    assert (paper.arxiv_id, paper.source) == ("2611.00001", "arxiv")
    assert old.corpus_stats() == (None, 0)
    old.close()


def test_tables_match_the_migrations(store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import String

    from paperwire.store.tables import metadata

    def compare_type(_context, _inspected, _metadata, inspected, metadata):  # type: ignore[no-untyped-def]
        # SQLite ignores the length of a VARCHAR: 0006 widens keys on PostgreSQL only.
        sqlite = store.engine.dialect.name == "sqlite"
        if sqlite and isinstance(inspected, String) and isinstance(metadata, String):
            return False
        return None  # alembic's own comparison

    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": compare_type})
        differences = compare_metadata(context, metadata)

    # The full-text index (FTS5 tables / tsvector column) is made by raw SQL, not the ORM.
    relevant = [d for d in differences if "fts" not in str(d) and "search" not in str(d)]
    assert relevant == []


def test_newer_version_replaces_content_and_keeps_first_seen(store: Store) -> None:
    _upsert(store, _paper())

    result = _upsert(
        store,
        _paper(
            version=2,
            title="State Space Models, Revised",
            announce_type=AnnounceType.REPLACE,
            announced=DAY + dt.timedelta(days=7),
        ),
    )

    paper = store.get_paper("2611.00001")
    assert result == (0, 1, 0)
    assert paper is not None
    assert (paper.version, paper.title) == (2, "State Space Models, Revised")
    assert paper.announce_type == AnnounceType.REPLACE
    assert store.count_papers() == 1


def test_older_version_seen_later_only_fills_gaps(store: Store) -> None:
    _upsert(store, _paper(version=3, title="Final title"))

    _upsert(store, _paper(version=1, title="First title", doi="10.1/x", route=Route.API))

    paper = store.get_paper("2611.00001")
    assert paper is not None
    assert (paper.version, paper.title, paper.doi) == (3, "Final title", "10.1/x")


def test_same_day_cross_then_new_keeps_new(store: Store) -> None:
    _upsert(store, _paper(announce_type=AnnounceType.CROSS))
    _upsert(store, _paper(announce_type=AnnounceType.NEW, route=Route.LISTING))

    [paper] = store.papers_announced(DAY, DAY)

    assert paper.announce_type == AnnounceType.NEW


def test_the_same_paper_twice_in_one_batch_is_one_row(store: Store) -> None:
    result = _upsert(store, _paper(), _paper(categories=["cs.LG", "stat.ML"]))

    paper = store.get_paper("2611.00001")
    assert result == (1, 0, 0)
    assert paper is not None
    assert paper.categories == ["cs.LG", "stat.ML"]


def test_a_failed_transaction_writes_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as connection:
        store.upsert_papers(connection, [_paper()], NOW)
        raise RuntimeError("crash after the upsert, before the commit")

    assert store.count_papers() == 0


def test_search_ranks_title_matches_first(store: Store) -> None:
    _upsert(
        store,
        _paper(
            key="2611.00001",
            title="Graph transformers",
            abstract="Attention over state spaces.",
        ),
        _paper(key="2611.00002", title="State space models", abstract="Selective scans."),
    )

    found = [p.arxiv_id for p in store.search("state space", 10)]

    assert found == ["2611.00002", "2611.00001"]


def test_search_handles_punctuation_as_text(store: Store) -> None:
    _upsert(store, _paper(title="C++ kernels: (fast) NEAR-optimal"))

    assert [p.arxiv_id for p in store.search('C++ "(fast" NEAR*', 5)] == ["2611.00001"]


def test_timestamps_come_back_in_utc(store: Store) -> None:
    submitted = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    _upsert(store, _paper(submitted=submitted))

    paper = store.get_paper("2611.00001")

    assert paper is not None
    assert paper.submitted == submitted
    assert paper.submitted.tzinfo is not None


def test_ten_megabyte_field_is_stored(store: Store) -> None:
    _upsert(store, _paper(abstract="x" * 10_000_000))

    paper = store.get_paper("2611.00001")
    assert paper is not None
    assert len(paper.abstract) == 10_000_000


def test_unknown_database_driver_is_a_config_error() -> None:
    from paperwire.errors import ConfigError

    with pytest.raises(ConfigError, match=r"database\.url"):
        open_store("nosuchdb://x")


def test_bare_postgresql_url_uses_psycopg3(postgres_url: str) -> None:
    bare = postgres_url.replace("postgresql+psycopg://", "postgresql://")

    store = open_store(bare)

    assert store.engine.dialect.driver == "psycopg"
    store.close()


def test_unreachable_database_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="database postgresql"):
        open_store("postgresql+psycopg://nobody@127.0.0.1:1/none")


def test_db_upgrade_applies_migrations_by_hand(sqlite_url: str) -> None:
    store = open_store(sqlite_url, upgrade=False)
    assert store.schema_revision()[0] is None

    assert store.upgrade() is True
    assert store.upgrade() is False
    with store.engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
    assert {"papers", "announcements", "feed_days", "http_validators"} <= tables
    store.close()


def test_search_finds_an_accented_author_written_without_accents(store: Store) -> None:
    _upsert(store, _paper(authors=["Ana Rodríguez", "Jörg Müller"]))

    assert [p.arxiv_id for p in store.search("rodriguez", 5)] == ["2611.00001"]
    assert [p.arxiv_id for p in store.search("Jörg state space", 5)] == ["2611.00001"]


def test_search_with_too_many_terms_is_refused_not_cut_short(store: Store) -> None:
    from paperwire.errors import UsageError

    _upsert(store, _paper())
    query = "state " + " ".join(f"-x{n}" for n in range(150)) + " OR " * 100 + "space"

    with pytest.raises(UsageError, match="more than 32 terms"):
        store.search(query, 5)
    repeated = "state " * 200 + " ".join(f"-x{n}" for n in range(30))
    assert [p.arxiv_id for p in store.search(repeated, 5)] == ["2611.00001"]


def test_a_value_the_database_cannot_hold_is_a_store_error(store: Store) -> None:
    with pytest.raises(StoreError, match="database"):
        _upsert(store, _paper(version=2**70))

    assert store.count_papers() == 0


def test_database_url_that_is_not_a_url_is_refused_without_echoing_it() -> None:
    from paperwire.errors import ConfigError

    with pytest.raises(ConfigError) as error:
        open_store("postgresql://user:s3cret@host:port/db")

    assert "s3cret" not in str(error.value)


def test_sqlite_folder_that_cannot_be_made_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="database folder /proc/nope"):
        open_store("sqlite:////proc/nope/paperwire.sqlite3")


def test_real_replacement_keeps_the_estimated_first_announcement(store: Store) -> None:
    with store.transaction() as connection:
        store.upsert_papers(connection, [_paper(announced=DAY)], NOW, estimated_dates=True)
    later = DAY + dt.timedelta(days=14)

    _upsert(store, _paper(version=2, announce_type=AnnounceType.REPLACE, announced=later))

    assert [p.announce_type for p in store.papers_announced(DAY, DAY)] == [AnnounceType.NEW]
    [replaced] = store.papers_announced(later, later)
    assert replaced.announce_type == AnnounceType.REPLACE


def test_downgrading_below_0005_drops_trending_digests_and_keeps_the_rest(db_url: str) -> None:
    from alembic import command
    from sqlalchemy import text

    from paperwire.store.engine import _alembic_config
    from paperwire.store.ledger import PlannedDelivery

    store = open_store(db_url)
    day, now = dt.date(2026, 11, 20), dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    for kind, paper in (("trending", "2611.00001"), ("topics", "2611.00002")):
        planned = PlannedDelivery(
            "a@example.org", day, day, f"<{kind}@x>", "s", b"x", [(paper, 1.0)], kind=kind
        )
        assert store.ledger.add(planned, now) is not None  # one window each: kinds apart

    with store.engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "0004")
    with store.engine.connect() as connection:
        kept = connection.execute(text("SELECT arxiv_id FROM delivery_papers")).scalars().all()
    assert store.schema_revision()[0] == "0004"
    assert kept == ["2611.00002"]
    store.upgrade()  # and up again: nothing lost on the way
    assert store.ledger.windows("a@example.org") == [(day, day, "pending")]
    assert store.ledger.received("a@example.org") == {"2611.00002"}
    store.close()


def test_downgrading_below_0006_keeps_an_arxiv_paper_first_stored_from_a_journal(
    db_url: str,
) -> None:
    from alembic import command
    from sqlalchemy import text

    from paperwire.store.engine import _alembic_config
    from paperwire.store.ledger import PlannedDelivery

    store = open_store(db_url)
    journal = _paper(
        key="doi:10.1000/ssm.2026",
        source="nature",
        doi="10.1000/SSM.2026",
        categories=[],
        primary_category=None,
        route=None,
        aliases=("doi:10.1000/ssm.2026",),
    )
    _upsert(store, journal, _paper(key="2611.00009", title="Another arXiv paper"))
    _upsert(store, _paper(doi="10.1000/ssm.2026"))  # arXiv's copy: the same work
    [merged] = [p for p in store.papers_announced(DAY, DAY) if p.arxiv_id == "2611.00001"]
    assert merged.key == "doi:10.1000/ssm.2026"
    planned = PlannedDelivery(
        "a@example.org", DAY, DAY, "<m@x>", "s", b"x", [(merged.key, 1.0), ("2611.00009", 0.5)]
    )
    assert store.ledger.add(planned, NOW) is not None

    with store.engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "0005")
    with store.engine.connect() as connection:
        papers = connection.execute(text("SELECT arxiv_id, title FROM papers")).all()
        sent = connection.execute(text("SELECT arxiv_id FROM delivery_papers")).scalars().all()
    store.upgrade()
    received = store.ledger.received("a@example.org")
    found = [p.key for p in store.search("long sequences")]  # the moved row is in the index
    announced = [p.key for p in store.papers_announced(DAY, DAY)]
    store.close()

    assert sorted(papers) == [
        ("2611.00001", "State Space Models for Long Sequences"),
        ("2611.00009", "Another arXiv paper"),
    ]
    assert sorted(sent) == ["2611.00001", "2611.00009"]
    assert received == {"2611.00001", "2611.00009"}
    assert found == ["2611.00001"]
    assert sorted(announced) == ["2611.00001", "2611.00009"]


def test_announcing_new_papers_only_leaves_a_paper_seen_before_on_its_day(store: Store) -> None:
    later = DAY + dt.timedelta(days=1)
    with store.transaction() as connection:
        store.upsert_papers(connection, [_paper()], NOW, announce_new_only=True)
    with store.transaction() as connection:
        counts = store.upsert_papers(
            connection,
            [_paper(announced=later), _paper(key="2611.00009", announced=later)],
            NOW,
            announce_new_only=True,
        )

    assert (counts.added, counts.updated, counts.unchanged) == (1, 0, 1)
    assert [p.key for p in store.papers_announced(DAY, DAY)] == ["2611.00001"]
    assert [p.key for p in store.papers_announced(later, later)] == ["2611.00009"]
    paper = store.get_paper("2611.00001")
    assert paper is not None and paper.announced == DAY


def test_the_revisions_opening_a_store_knows_are_the_migrations() -> None:
    from alembic.script import ScriptDirectory

    from paperwire.store.engine import _MIGRATIONS, HEAD, REVISIONS

    scripts = ScriptDirectory(str(_MIGRATIONS))
    chain = [r.revision for r in scripts.walk_revisions()][::-1]

    assert tuple(chain) == REVISIONS and scripts.get_current_head() == HEAD
