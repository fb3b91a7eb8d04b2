"""What several benchmarks share: the real papers they rank and send, and a throwaway
PostgreSQL schema. Imported by the scripts beside it (`python benchmarks/web.py` puts this
folder on the path); like them, it uses only the public `paperwire` package."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable
from pathlib import Path

from paperwire import AnnounceType, Paper, parse

REPO = Path(__file__).resolve().parent.parent
REAL = Path(os.environ.get("PAPERWIRE_FIXTURES", REPO.parent / "shared" / "fixtures" / "real"))


def load_papers(day: dt.date) -> tuple[list[Paper], str]:
    """1,000 real cs papers (the fixtures' OAI-PMH page), announced on `day`; without the
    fixtures, the repository's 3-paper feed repeated to 100. With what they are, for tables."""
    page = REAL / "corpus" / "oai_cs_set_page_1000rec_2016.xml"
    if page.is_file():
        papers = parse("arxiv-oai", page.read_bytes(), "https://export.arxiv.org/oai2").papers
        source = "1,000 real cs papers (OAI-PMH page)"
    else:
        feed = (REPO / "tests" / "fixtures" / "routes" / "rss.xml").read_bytes()
        base = parse("arxiv-rss", feed, "https://rss.arxiv.org/rss/cs.LG").papers
        papers = [
            Paper(f"2611.{i:05d}", base[i % len(base)].title, base[i % len(base)].abstract,
                  base[i % len(base)].authors, ["cs.LG"], "cs.LG")
            for i in range(100)
        ]  # fmt: skip
        source = "the repository's 3-paper feed, repeated (no ../shared fixtures)"
    for paper in papers:
        paper.announced, paper.announce_type = day, paper.announce_type or AnnounceType.NEW
        paper.primary_category = paper.primary_category or "cs.LG"
        paper.categories = paper.categories or ["cs.LG"]
    return papers, source


def postgres_schema(base: str) -> tuple[str, Callable[[], None]]:
    """A fresh schema of the database `base` names (its URL), and what drops it."""
    import sqlalchemy as sa

    schema = f"pw_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url.render_as_string(hide_password=False), drop


def insert_readers(url: str, entries: list[dict[str, object]]) -> None:
    """Readers (entries as `subscribers import` reads them) into the store at `url`, in bulk:
    the subscribers table (reflected from the store) as `subscribers import` fills it, 10,000
    rows a transaction (one reader per transaction would take minutes for 10,000)."""
    import sqlalchemy as sa

    from paperwire import Settings, open_store

    readers = [
        s.to_reader("cli") for s in Settings.model_validate({"subscribers": entries}).subscribers
    ]
    store = open_store(url)
    engine = store.engine
    table = sa.Table("subscribers", sa.MetaData(), autoload_with=engine)
    now = dt.datetime.now(dt.UTC)
    when = now.replace(tzinfo=None) if engine.dialect.name == "sqlite" else now
    rows = [
        {
            "email": reader.email.lower(),
            "origin": "cli",
            "paused": False,
            "settings": reader.settings(),
            "created_at": when,
            "updated_at": when,
        }
        for reader in readers
    ]
    for start in range(0, len(rows), 10_000):
        with engine.begin() as connection:
            connection.execute(table.insert(), rows[start : start + 10_000])
    store.close()


if (
    __name__ == "__main__"
):  # python common.py insert-readers URL FILE.json (for another interpreter)
    import json
    import sys

    if sys.argv[1:2] != ["insert-readers"] or len(sys.argv) != 4:
        raise SystemExit("usage: python common.py insert-readers URL FILE.json")
    insert_readers(sys.argv[2], json.loads(Path(sys.argv[3]).read_text(encoding="utf-8")))
