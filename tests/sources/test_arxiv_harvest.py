"""`fetch --since` far back: arXiv's OAI-PMH, page by page, resumable after a failure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine
from conftest import PaperwireCLI, arxiv_settings, polite_session
from fixtures_path import real_fixture, shared_fixtures
from loopback import LoopbackServer, RecordedRequest, Reply

from paperwire.sources.arxiv.calendar import EASTERN
from paperwire.sources.arxiv.harvest import STATE, Harvest, oai_set
from paperwire.store import Store, open_store
from paperwire.syntax import in_categories

NOW = dt.datetime(2026, 11, 27, 15, tzinfo=dt.UTC)  # a Friday; arXiv's latest: Fri 27 Nov
SINCE = dt.date(2026, 11, 2)  # 25 days back: more than oai_after_days (7)


def _record(arxiv_id: str, submitted: dt.datetime, categories: str, title: str) -> str:
    date = submitted.astimezone(dt.UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    return f"""<record><header><identifier>oai:arXiv.org:{arxiv_id}</identifier>
<datestamp>{submitted.date()}</datestamp><setSpec>cs</setSpec></header><metadata>
<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>{arxiv_id}</id>
<version version="v1"><date>{date}</date><size>10kb</size></version>
<title>{title}</title><authors>Ada Lovelace and Alan Turing</authors>
<categories>{categories}</categories><abstract>  An abstract about {title.lower()}.
</abstract></arXivRaw></metadata></record>"""


def _page(records: list[str], token: str | None, total: int = 4) -> bytes:
    resumption = (
        f'<resumptionToken cursor="0" completeListSize="{total}">{token}</resumptionToken>'
        if token
        else f'<resumptionToken cursor="2" completeListSize="{total}"/>'
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-11-27T15:00:00Z
</responseDate><request verb="ListRecords">https://oaipmh.arxiv.org/oai</request>
<ListRecords>{"".join(records)}{resumption}</ListRecords></OAI-PMH>""".encode()


def _at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=EASTERN)


FIRST = _page(
    [
        _record("2611.00101", _at(3), "cs.LG stat.ML", "Diffusion for tables"),
        _record("2611.00102", _at(4), "math.OC", "Convex bounds"),  # cs set, not our category
    ],
    "8675309|2",
)
LAST = _page(
    [
        _record("2611.00103", _at(20), "stat.ML cs.LG", "Graph kernels"),  # a cross-list
        _record("2610.00999", dt.datetime(2026, 10, 1, 10, tzinfo=EASTERN), "cs.LG", "Old"),
    ],
    None,
)
BAD_TOKEN = b"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-11-27T15:00:00Z
</responseDate><request verb="ListRecords">https://oaipmh.arxiv.org/oai</request>
<error code="badResumptionToken">The value of the resumptionToken argument is invalid or
expired.</error></OAI-PMH>"""


def _oai(first: bytes, rest: Callable[[RecordedRequest], Reply]) -> Callable[..., Reply]:
    """A ListRecords endpoint: `first` for a fresh harvest, `rest` for a resumption token."""

    def answer(request: RecordedRequest) -> Reply:
        if "resumptionToken" in request.params:
            return rest(request)
        return Reply(200, first)

    return answer


def _fetch(paperwire: PaperwireCLI, *args: str):  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        return paperwire("fetch", "-c", "cs.LG", *args)


def _stored(url: str) -> dict[str, tuple[dt.date | None, str | None]]:
    with open_store(url) as store:
        papers = store.papers_announced(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
        return {p.key: (p.announced, p.announce_type) for p in papers}


def test_a_long_backfill_goes_through_oai_pmh_page_by_page(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, sqlite_url: str
) -> None:
    arxiv.route("/oai", _oai(FIRST, lambda _request: Reply(200, LAST)))

    result = _fetch(paperwire, "--since", str(SINCE))

    assert result.exit_code == 0, result.output
    first, second = arxiv.requests_to("/oai")
    assert first.params == {
        "verb": "ListRecords",
        "metadataPrefix": "arXivRaw",
        "set": "cs",
        "from": "2026-10-28",  # five days of lead before --since: submissions of then
        "until": "2026-11-27",
    }
    assert second.params == {"verb": "ListRecords", "resumptionToken": "8675309|2"}
    assert arxiv.requests_to("/api/query") == []
    # Dates estimated from the first version's submission; the math paper and the one
    # announced before --since are left out.
    assert _stored(paperwire.env["PAPERWIRE_DATABASE__URL"]) == {
        "2611.00101": (dt.date(2026, 11, 4), "new"),
        "2611.00103": (dt.date(2026, 11, 23), "cross"),  # stat.ML first: a cross-list
    }
    assert "via oai: 2 added" in result.stdout
    with open_store(sqlite_url) as store:
        assert store.state(STATE).items() == {}  # finished: nothing to resume


def test_a_harvest_cut_short_resumes_from_the_stored_token(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, sqlite_url: str
) -> None:
    arxiv.route("/oai", _oai(FIRST, lambda _request: Reply(503)))

    failed = _fetch(paperwire, "--since", str(SINCE))

    assert failed.exit_code == 1
    assert failed.stderr.startswith("paperwire: error: ") and "503" in failed.stderr
    assert set(_stored(sqlite_url)) == {"2611.00101"}  # the first page is kept
    with open_store(sqlite_url) as store:
        [(_key, saved)] = store.state(STATE).items().items()
    assert saved["token"] == "8675309|2" and saved["done"] == 2

    before = len(arxiv.requests_to("/oai"))
    arxiv.route("/oai", _oai(FIRST, lambda _request: Reply(200, LAST)))
    resumed = _fetch(paperwire, "--since", str(SINCE))

    assert resumed.exit_code == 0, resumed.output
    asked = [r.params.get("resumptionToken") for r in arxiv.requests_to("/oai")[before:]]
    assert asked == ["8675309|2"]
    assert set(_stored(sqlite_url)) == {"2611.00101", "2611.00103"}
    with open_store(sqlite_url) as store:
        assert store.state(STATE).items() == {}


def test_a_token_the_server_forgot_starts_the_harvest_again(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, sqlite_url: str
) -> None:
    arxiv.route("/oai", _oai(FIRST, lambda _request: Reply(503)))
    _fetch(paperwire, "--since", str(SINCE))  # leaves a token behind
    answers = iter([Reply(200, BAD_TOKEN), Reply(200, LAST)])
    before = len(arxiv.requests_to("/oai"))
    arxiv.route("/oai", _oai(FIRST, lambda _request: next(answers)))

    result = _fetch(paperwire, "--since", str(SINCE))

    assert result.exit_code == 0, result.output
    requests = arxiv.requests_to("/oai")[before:]
    asked = [r.params.get("resumptionToken", "fresh") for r in requests]
    assert asked == ["8675309|2", "fresh", "8675309|2"]
    assert set(_stored(sqlite_url)) == {"2611.00101", "2611.00103"}


def test_a_short_backfill_still_asks_the_api(
    paperwire: PaperwireCLI, arxiv: LoopbackServer
) -> None:
    arxiv.add("/api/query", Reply(200, b"<feed xmlns='http://www.w3.org/2005/Atom'/>"))

    _fetch(paperwire, "--since", "2026-11-23")

    assert arxiv.requests_to("/oai") == []
    assert len(arxiv.requests_to("/api/query")) == 1


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("cs.LG", "cs"),
        ("astro-ph.CO", "physics:astro-ph"),
        ("math", "math"),
        ("hep-th", "physics:hep-th"),
    ],
)
def test_categories_map_to_arxivs_oai_sets(category: str, expected: str) -> None:
    assert oai_set(category) == expected


@shared_fixtures
def test_a_real_arxivraw_page_streams_into_the_store(arxiv: LoopbackServer, store: Store) -> None:
    """The real 2016 harvest page (387 records, re-indented), served as two pages: each
    paper stored once, every one in the window and in the categories asked for."""
    body = real_fixture("oai/oai_ListRecords_arXivRaw_from-2016-10-20_387rec_reindented.xml")
    last = body.replace(b"1403493|1001</resumptionToken>", b"</resumptionToken>")
    arxiv.route("/oai", _oai(body, lambda _request: Reply(200, last)))
    now = dt.datetime(2016, 10, 21, 22, tzinfo=dt.UTC)
    # The page's new versions are replacements of papers first submitted in 2016's first half.
    since, until = dt.date(2016, 1, 1), dt.date(2016, 6, 30)
    categories = ["quant-ph"]

    report = Harvest(
        arxiv_settings(arxiv, oai_url=arxiv.url + "/oai"),
        store,
        polite_session(),
        now,
        categories,
    ).run(since, until)

    [result] = report.results
    stored = store.papers_announced(since, until)
    assert result.counts.added == len(stored) > 0
    assert result.counts.unchanged == len(stored)  # the second page repeats the first
    assert all(in_categories(p.categories, categories) for p in stored)
    assert all(p.submitted is not None and p.submitted.year == 2016 for p in stored)
    assert [r.params.get("set") for r in arxiv.requests_to("/oai")] == ["physics:quant-ph", None]


def test_a_server_that_repeats_its_token_is_not_asked_forever(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, sqlite_url: str
) -> None:
    arxiv.route("/oai", _oai(FIRST, lambda _request: Reply(200, FIRST)))  # same token again

    result = _fetch(paperwire, "--since", str(SINCE))

    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "gave this resumption token twice" in result.stderr
    assert len(arxiv.requests_to("/oai")) == 2
    with open_store(sqlite_url) as store:
        assert store.state(STATE).items() == {}  # nothing left to resume into the loop


def test_a_harvest_cut_short_resumes_after_the_next_announcement_too(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, sqlite_url: str
) -> None:
    arxiv.route("/oai", _oai(FIRST, lambda _request: Reply(503)))
    _fetch(paperwire, "--since", str(SINCE))  # Friday: cut short after the first page
    arxiv.route("/oai", _oai(FIRST, lambda _request: Reply(200, LAST)))
    before = len(arxiv.requests_to("/oai"))

    monday = dt.datetime(2026, 11, 30, 15, tzinfo=dt.UTC)  # arXiv's latest: Mon 30 Nov
    with time_machine.travel(monday, tick=False):
        resumed = paperwire("fetch", "-c", "cs.LG", "--since", str(SINCE))

    assert resumed.exit_code == 0, resumed.output
    asked = [r.params.get("resumptionToken") for r in arxiv.requests_to("/oai")[before:]]
    assert asked == ["8675309|2"]
    with open_store(sqlite_url) as store:
        assert store.state(STATE).items() == {}


def test_an_abandoned_harvest_of_another_since_is_forgotten(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, sqlite_url: str
) -> None:
    arxiv.route("/oai", _oai(FIRST, lambda _request: Reply(503)))
    _fetch(paperwire, "--since", str(SINCE))
    arxiv.route("/oai", _oai(LAST, lambda _request: Reply(503)))

    _fetch(paperwire, "--since", str(SINCE + dt.timedelta(days=1)))

    with open_store(sqlite_url) as store:
        assert store.state(STATE).items() == {}  # the old token is gone; the new one finished
