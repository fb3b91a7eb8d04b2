"""What tests of the readers' pages share: papers to announce, the settings of a site,
`Site` (the running pages with their store, SMTP server and clock), and the fixtures that
start one over a real store (SQLite and PostgreSQL) with a real SMTP server catching its
mails (`make_site`, `site`: tests/conftest.py imports them).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import requests
from smtpserver import SmtpTestServer, smtp_settings
from webserver import SECRET, Clock, PagesServer, free_socket, server_url

from paperwire.app import Paperwire
from paperwire.config import Settings
from paperwire.models import AnnounceType, Paper
from paperwire.sources.arxiv.ids import arxiv_links
from paperwire.store import Store, open_store
from paperwire.web.guard import Limits

NOW = dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC)
DAY = dt.date(2026, 11, 24)


def paper(arxiv_id: str, title: str, abstract: str = "", day: dt.date = DAY, **extra: Any) -> Paper:
    values: dict[str, Any] = {
        "abstract": abstract or f"We study {title.lower()} in depth and report results.",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.LG"],
        "primary_category": "cs.LG",
        "version": 1,
        "announce_type": AnnounceType.NEW,
        "announced": day,
    }
    values.update(extra)
    return Paper(arxiv_id, title, links=arxiv_links(arxiv_id), **values)


def announce(store: Store, *papers: Paper) -> None:
    with store.transaction() as connection:
        store.upsert_papers(connection, list(papers), NOW)


@dataclass
class Site:
    """Everything a test of the pages touches."""

    url: str
    settings: Settings
    store: Store
    smtp: SmtpTestServer
    clock: Clock
    http: requests.Session

    def mails_to(self, address: str) -> list[EmailMessage]:
        return [
            m.parsed()
            for m in self.smtp.messages
            if address.lower() in [r.lower() for r in m.rcpt_tos]
        ]

    def link_in(self, message: EmailMessage, path: str) -> str:
        """The first link to `path` in a mail's text."""
        body = message.get_body(("plain",))
        assert body is not None
        found = re.search(re.escape(self.url) + "/" + path + r"\?\S+", body.get_content())
        assert found, f"no /{path} link in: {body.get_content()}"
        return found.group(0)

    def wire(self) -> Paperwire:
        return Paperwire(self.settings, store=self.store, clock=self.clock)

    def csrf_of(self, page: str) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        assert found, "the form has no CSRF token"
        return found.group(1)


def site_settings(url: str, smtp: SmtpTestServer, db_url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "database": {"url": db_url},
        "sources": {"arxiv": {"categories": ["cs.LG"], "announce_types": ["new"]}},
        "smtp": smtp_settings(smtp).model_dump(),
        "delivery": {"base_url": url, "secret": SECRET, "retry_delay": 0},
    }
    for key, value in extra.items():
        values[key] = values.get(key, {}) | value if isinstance(value, dict) else value
    return Settings.model_validate(values)


@pytest.fixture
def make_site(db_url: str, smtp_server: SmtpTestServer, tmp_path: Path) -> Iterator[Any]:
    """Starts the pages for a configuration (extra settings by section), once per test."""
    running: list[tuple[PagesServer, Store, requests.Session]] = []

    def make(limits: Limits | None = None, **extra: Any) -> Site:
        sock = free_socket()
        url = server_url(sock)
        feeds = {"feeds_dir": str(tmp_path / "feeds")}
        extra["delivery"] = feeds | extra.get("delivery", {})
        settings = site_settings(url, smtp_server, db_url, **extra)
        store = open_store(db_url)
        server = PagesServer(settings, store, sock, clock=Clock(NOW), limits=limits).__enter__()
        http = requests.Session()
        running.append((server, store, http))
        return Site(url, settings, store, smtp_server, server.clock, http)

    yield make
    for server, store, http in running:
        http.close()
        server.__exit__(None, None, None)
        store.close()


@pytest.fixture
def site(make_site: Any) -> Site:
    site: Site = make_site()
    return site
