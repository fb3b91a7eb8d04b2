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
