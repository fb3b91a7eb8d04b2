"""The readers' pages over a real store (SQLite and PostgreSQL), a real SMTP server catching
their mails, and uvicorn serving them on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sitekit import NOW, Site, site_settings
from smtpserver import SmtpTestServer
from webserver import Clock, PagesServer, free_socket, server_url

from paperwire.store import Store, open_store
from paperwire.web.guard import Limits


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
