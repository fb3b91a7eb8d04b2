"""The readers' pages as a Starlette app: subscribe, confirm, preferences (and a preview),
one-click unsubscribe, a delivered digest's whole list, 👍/👎 feedback, and readers' Atom feeds.

No passwords: every page a reader reaches from a digest carries a token signed for that
page and that reader (paperwire.tokens, built by delivery.links). Handlers read the request,
call the library (paperwire.Subscriptions, the store) in a worker thread, and render a
template from templates/web/; the templates hold no logic.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import datetime as dt
import json
import logging
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import anyio.to_thread
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from paperwire import tokens
from paperwire.config import Settings
from paperwire.delivery import configured
from paperwire.delivery.atom import AtomChannel
from paperwire.delivery.links import ReaderLinks, digest_subject, feedback_subject
from paperwire.delivery.planner import default_limits, effective_profile, reader_feedback
from paperwire.digest.formats import html_pieces, templates_dir
from paperwire.digest.kinds import KIND_NAMES, kind_named
from paperwire.digest.view import paper_view
from paperwire.digest.words import format_window
from paperwire.errors import PaperwireError, UsageError
from paperwire.models import Origin, Paper, Profile, Reader, ScoredPaper
from paperwire.store import Store
from paperwire.store.feedback import DOWN, UP
from paperwire.store.ledger import Delivery, ListedPaper
from paperwire.subscriptions import Subscriptions, settings_of
from paperwire.web import forms, guard, mail

if TYPE_CHECKING:
    from paperwire.digest.select import DigestBuilder

log = logging.getLogger(__name__)

VOTES = {"up": UP, "down": DOWN}
BUTTONS = (("up", UP, "👍 More like this"), ("down", DOWN, "👎 Not for me"))
NO_VOTE = ("none", 0, "Remove my vote")
MAX_FORM_BYTES = 64_000
ENTRIES_CACHED = 256  # digests' laid-out papers kept per process (~20 MB)
# Requests served at once by each process's threads (the store's work, a confirmation mail):
# the handlers are mostly CPU, so a few threads serve as fast as many, and the store keeps
# one connection for each.
THREADS = 10
BUILDER_LIFETIME = dt.timedelta(minutes=10)
PREVIEW_PAPERS = 10


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclasses.dataclass(frozen=True)
class VoteButton:
    """A 👍/👎 button on a digest's page: what it sends, and whether it is the vote given."""

    label: str
    sends: str
    pressed: bool


@dataclasses.dataclass(frozen=True)
class DigestEntry:
    """One paper of a digest's page, laid out (`block`: its HTML, as the email shows it)."""

    key: str
    rank: int
    title: str
    shown: bool
    block: str


@dataclasses.dataclass
class Page:
    """A rendered page: template, status and context."""

    template: str
    context: dict[str, Any]
    status: int = 200


class Pages:
    """The handlers, with what they share: settings, store, clock, templates, limits."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        clock: Callable[[], dt.datetime],
        limits: guard.Limits,
        templates: Path,
    ) -> None:
        from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

        self.settings = settings
        self.store = store
        self.clock = clock
        self.base_url = settings.delivery.base_url
        self.secret = settings.delivery.secret.get_secret_value()
        self.limiter = guard.RateLimiter(store, limits)
        feeds = configured(settings, store)["atom"]  # readers' feeds: the channel's files
        assert isinstance(feeds, AtomChannel)
        self.feeds = feeds
        self._builder: DigestBuilder | None = None
        # Digests' pages laid out, by (address, kind, first day): kept for their next visits.
        self.entries: OrderedDict[tuple[str, str, dt.date], tuple[Delivery, list[DigestEntry]]] = (
            OrderedDict()
        )
        self.static = templates / "web" / "paperwire.css"
        self.env = Environment(
            loader=FileSystemLoader(templates / "web"),
            autoescape=select_autoescape(default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.env.filters["pieces"] = html_pieces
        fragments = self.env.get_template("fragments.html.j2").module
        self.fragments = {
            "zone_options": Markup(fragments.zone_options(forms.timezones())),  # type: ignore[attr-defined]
            "unticked": {
                a.name: Markup(fragments.archive_block(a, ()))  # type: ignore[attr-defined]
                for a in forms.archives()
            },
        }

    # --- plumbing -------------------------------------------------------------------------------

    def subscriptions(self) -> Subscriptions:
        return Subscriptions(self.store, self.settings, self.clock)

    def render(self, page: Page, cookie: str | None = None) -> Response:
        """The page as an HTML response; `cookie`: a new CSRF cookie to set."""
        context = {"base_url": self.base_url, "archives": forms.archives, **page.context}
        body = self.env.get_template(page.template).render(**context)
        response = HTMLResponse(body, status_code=page.status)
        if cookie is not None:
            response.set_cookie(
                guard.CSRF_COOKIE,
                cookie,
                httponly=True,
                samesite="strict",
                secure=self.base_url.startswith("https://"),
                path="/",
            )
        return response

    def form_cookie(self, request: Request) -> tuple[str, bool]:
        """The request's CSRF cookie, or a new one (True: set it on the response)."""
        cookie = request.cookies.get(guard.CSRF_COOKIE, "")
        if re.fullmatch(r"[A-Za-z0-9_-]{24}", cookie):
            return cookie, False
        return guard.new_form_cookie(), True

    def csrf_ok(self, request: Request, form: FormData, bound: str) -> bool:
        if not guard.same_origin(request.headers.get("origin"), self.base_url):
            return False
        token = form.get(guard.CSRF_FIELD)
        return guard.form_token_ok(
            self.secret,
            request.cookies.get(guard.CSRF_COOKIE),
            token if isinstance(token, str) else "",
            bound,
            self.clock(),
        )

    def page_url(self, path: str, **query: str) -> str:
        return f"{self.base_url}/{path}?{urlencode(query)}"

    def links(self, email: str) -> ReaderLinks:
        return ReaderLinks(self.base_url, self.secret, email, self.clock())

    @staticmethod
    def bad_link(what: str = "This link") -> Page:
        return Page(
            "message.html.j2",
            {
                "title": "This link does not work",
                "lines": [
                    f"{what} is not valid, or it has expired.",
                    "Use the links in your newest digest, or subscribe again.",
                ],
            },
            403,
        )

    # --- subscribe ------------------------------------------------------------------------------

    def subscribe_form(self, cookie: str, values: forms.FormValues, error: str = "") -> Page:
        return Page(
            "subscribe.html.j2",
            {
                "values": values,
                "error": error,
                "csrf": guard.form_token(self.secret, cookie, "subscribe", self.clock()),
                "weekdays": forms.WEEKDAYS,
                "chosen_archives": forms.archives_of(values.categories),
                **self.fragments,
            },
            400 if error else 200,
        )

    def subscribe(self, client: str, form: FormData, cookie: str) -> Page:
        categories = [c for c in form.getlist("categories") if isinstance(c, str)]
        values = forms.FormValues.submitted(form, categories)
        now = self.clock()
        try:
            data = forms.settings_from_form(form, categories) | {"email": values.email}
            checked = self.subscriptions().check(data, names=forms.NAMES)
        except UsageError as exc:
            return self.subscribe_form(cookie, values, str(exc))
        # Only a request that could send a mail counts (a typo costs nothing).
        if not self.limiter.allow_client(client, now):
            page = self.subscribe_form(cookie, values, "Too many attempts from your network.")
            page.status = 429
            return page
        self.limiter.forget_old(now)
        email = checked.email
        answer = Page(
            "message.html.j2",
            {
                "title": "Check your inbox",
                "lines": [
                    f"We sent a mail to {email}. Open the link in it to confirm.",
                    "Nothing is sent to an address until it confirms.",
                ],
            },
        )
        # The same answer whatever happens next: the page never tells who is subscribed.
        if not self.limiter.allow_address(email, now):
            log.info("subscribe: confirmation mails to one address limited")
            return answer
        if not self.limiter.allow_site(now):
            log.warning("subscribe: the site's confirmation mails per hour are used up")
            return answer
        existing = self.store.subscribers.get(email)
        if existing is not None and email.lower() not in self.store.unsubscribed:
            message = mail.already_subscribed(
                self.settings, email, self.links(email).preferences, now
            )
        else:
            payload = _b64(json.dumps(checked.model_dump(mode="json"), sort_keys=True).encode())
            token = tokens.sign(self.secret, tokens.CONFIRM, payload, now)
            url = f"{self.base_url}/confirm?{urlencode({'data': payload, 'token': token})}"
            message = mail.confirmation(self.settings, email, url, tokens.CONFIRM_LIFETIME, now)
        try:
            result = mail.send(self.settings, message)
        except PaperwireError as exc:
            log.error("subscribe: the mail could not be sent: %s", exc)
            return Page(
                "message.html.j2",
                {
                    "title": "Please try again later",
                    "lines": ["The confirmation mail could not be sent just now."],
                },
                503,
            )
        if result.status != "sent":
            log.error("subscribe: the mail was not accepted: %s", result.reply)
        return answer

    def confirm_data(self, data: str, token: str) -> dict[str, Any] | None:
        """The subscription a confirmation link asks for, or None when its token is bad."""
        if not tokens.verify(self.secret, token, tokens.CONFIRM, data, self.clock()):
            return None
        try:
            decoded = json.loads(_unb64(data))
        except (binascii.Error, ValueError):
            return None
        return decoded if isinstance(decoded, dict) else None

    def confirm_page(self, data: str, token: str) -> Page:
        asked = self.confirm_data(data, token)
        if asked is None:
            return self.bad_link("This confirmation link")
        return Page(
            "confirm.html.j2", {"email": asked.get("email", ""), "data": data, "token": token}
        )

    def confirm(self, data: str, token: str) -> Page:
        asked = self.confirm_data(data, token)
        if asked is None or not self.limiter.first_use(token, self.clock()):
            return self.bad_link("This confirmation link")
        subscriptions = self.subscriptions()
        email = str(asked.get("email", ""))
        try:
            existing = self.store.subscribers.get(email)
            if existing is None:
                subscriptions.add(asked, names=forms.NAMES, origin=Origin.WEB)
            elif existing.origin != Origin.CONFIG:
                changes = {k: v for k, v in asked.items() if k != "email"} | {"paused": False}
                subscriptions.edit(email, changes, names=forms.NAMES)
        except UsageError as exc:
            return Page("message.html.j2", {"title": "Not subscribed", "lines": [str(exc)]}, 400)
        self.store.unsubscribed.remove(email)
        return Page(
            "message.html.j2",
            {
                "title": "You are subscribed",
                "lines": [f"{email} will receive paperwire's digests."],
                "link": (self.links(email).preferences, "Change your preferences"),
            },
        )

    # --- preferences ----------------------------------------------------------------------------

    def reader_for(self, email: str, token: str, purpose: str) -> Reader | None:
        if not tokens.verify(self.secret, token, purpose, email, self.clock()):
            return None
        reader = self.store.subscribers.get(email)
        if reader is None:
            return None
        # Only the configuration file's readers stay in the table when they unsubscribe.
        if reader.origin == Origin.CONFIG and email in self.store.unsubscribed:
            return None
        return reader

    def preferences_form(
        self,
        reader: Reader,
        token: str,
        cookie: str,
        values: forms.FormValues | None = None,
        *,
        error: str = "",
        saved: list[str] | None = None,
    ) -> Page:
        links = self.links(reader.email)
        shown = values or forms.FormValues.of(settings_of(reader))
        return Page(
            "preferences.html.j2",
            {
                "values": shown,
                "email": reader.email,
                "token": token,
                "configured": reader.origin == Origin.CONFIG,
                "error": error,
                "saved": saved,
                "csrf": guard.form_token(self.secret, cookie, reader.email.lower(), self.clock()),
                "weekdays": forms.WEEKDAYS,
                "chosen_archives": forms.archives_of(shown.categories),
                **self.fragments,
                "unsubscribe_url": links.unsubscribe,
                "preview_url": self.page_url("preview", email=reader.email, token=token),
                "feed_url": self.feed_url(reader),
            },
            400 if error else 200,
        )

    def feed_url(self, reader: Reader) -> str:
        return self.feeds.existing_url(reader.email) if "atom" in reader.channels else ""

    def save_preferences(self, reader: Reader, token: str, form: FormData, cookie: str) -> Page:
        categories = [c for c in form.getlist("categories") if isinstance(c, str)]
        values = dataclasses.replace(
            forms.FormValues.submitted(form, categories), email=reader.email
        )
        if reader.origin == Origin.CONFIG:
            return self.preferences_form(
                reader,
                token,
                cookie,
                values,
                error="Your settings are kept in the site's configuration file: "
                "ask its operator to change them.",
            )
        try:
            changes = forms.settings_from_form(form, categories) | {"paused": values.paused}
            # A setting the form does not show stays as it is; those it shows may be emptied.
            changes.setdefault("max_papers", None)
            edited = self.subscriptions().edit(reader.email, changes, names=forms.NAMES)
        except UsageError as exc:
            return self.preferences_form(reader, token, cookie, values, error=str(exc))
        fresh = self.store.subscribers.get(reader.email) or reader
        return self.preferences_form(fresh, token, cookie, saved=edited.changed or ["nothing"])

    def preview(self, reader: Reader) -> Page:
        """The papers the reader's settings would list from the newest stored day (what is
        stored, not today), ranked by the process's builder: its ranker and the day's papers
        are kept between previews."""
        newest = default_limits(self.store, self.clock(), {reader.mode})[reader.mode].newest
        if newest is None:
            return Page(
                "message.html.j2",
                {"title": "No preview yet", "lines": ["No papers have been fetched yet."]},
            )
        profile = self.profile_of(reader)
        min_score = self.settings.digest.min_score if reader.min_score is None else reader.min_score
        try:
            digest = self.builder().build(
                profile,
                newest,
                newest,
                limit=PREVIEW_PAPERS,
                min_score=min_score,
                kind=reader.mode,
                only_matching=reader.only_matching,
                sources=reader.sources,
            )
        except PaperwireError as exc:
            return Page("message.html.j2", {"title": "No preview", "lines": [str(exc)]})
        views = [paper_view(s, rank) for rank, s in enumerate(digest.papers, 1)]
        kind = kind_named(digest.kind)
        return Page(
            "preview.html.j2",
            {
                "email": reader.email,
                "dates": format_window(digest.window_from, digest.window_to),
                "summary": kind.summary(digest),
                "papers": views,
                "preferences_url": self.links(reader.email).preferences,
            },
        )

    # --- unsubscribe ----------------------------------------------------------------------------

    def unsubscribe(self, email: str, token: str, via: str) -> Page:
        if not tokens.verify(self.secret, token, tokens.UNSUBSCRIBE, email, self.clock()):
            return self.bad_link("This unsubscribe link")
        # Their settings and votes go (the file's readers keep their settings), and their
        # feed; the ledger stays (what was sent is never sent again).
        self.store.unsubscribed.add(email, via, self.clock(), forget=True)
        self.feeds.forget(email)
        return Page(
            "message.html.j2",
            {
                "title": "You are unsubscribed",
                "lines": [
                    f"{email.strip()} will receive no more digests.",
                    "Changed your mind? Subscribe again from the subscription page.",
                ],
                "link": (f"{self.base_url}/subscribe", "Subscribe again"),
            },
        )

    # --- a delivered digest, and feedback ---------------------------------------------------------

    def digest(self, email: str, kind: str, day: str, token: str) -> Page:
        try:
            first = dt.date.fromisoformat(day)
        except ValueError:
            return self.bad_link()
        subject = digest_subject(email, kind, first)
        if kind not in KIND_NAMES or not tokens.verify(
            self.secret, token, tokens.DIGEST, subject, self.clock()
        ):
            return self.bad_link()
        key = (email.strip().lower(), kind, first)
        laid_out = self.entries.get(key)
        if laid_out is not None:
            self.entries.move_to_end(key)
            delivery, entries = laid_out
        else:
            found = self.store.ledger.listed(email, kind, first)
            if found is None:
                return Page(
                    "message.html.j2",
                    {"title": "No such digest", "lines": ["This digest is no longer kept."]},
                    404,
                )
            delivery, listed = found
            entries = self.digest_entries(delivery.id, email, listed)
            self.entries[key] = (delivery, entries)
            if len(self.entries) > ENTRIES_CACHED:
                self.entries.popitem(last=False)
        votes = {v.paper: v.vote for v in self.store.feedback.votes(email)}
        links = self.links(email)
        items = [
            {
                "entry": entry,
                # A button pressed again takes its vote back.
                "buttons": [
                    VoteButton(label, name, votes.get(entry.key, 0) == value)
                    for name, value, label in BUTTONS
                ],
                "feedback_token": tokens.sign(
                    self.secret,
                    tokens.FEEDBACK,
                    feedback_subject(email, entry.key),
                    self.clock(),
                ),
            }
            for entry in entries
        ]
        return Page(
            "digest.html.j2",
            {
                "email": delivery.subscriber,
                "kind": kind,
                "day": first.isoformat(),
                "token": token,
                "heading": kind_named(kind).heading,
                "dates": format_window(delivery.window_from, delivery.window_to),
                "subject": delivery.subject,
                "items": items,
                "in_email": sum(1 for e in entries if e.shown),
                "preferences_url": links.preferences,
                # What every vote form shares, in its action: back to this page afterwards.
                "vote_action": self.page_url(
                    "feedback",
                    email=email,
                    back="digest",
                    kind=kind,
                    day=first.isoformat(),
                    digest_token=token,
                ),
            },
        )

    def digest_entries(
        self, delivery_id: int, email: str, listed: list[ListedPaper]
    ) -> list[DigestEntry]:
        """A recorded digest's papers, each laid out as the email shows it (the page keeps
        them, per process, for its next visits: a vote sends the reader back to it)."""
        papers = self.store.get_papers([p.key for p in listed])
        scored = [
            (item, ScoredPaper(papers[item.key], item.score, [], list(item.reasons)))
            for item in listed
            if item.key in papers
        ]
        self.explain(delivery_id, email, [s for item, s in scored if not item.reasons])
        block = self.env.get_template("paper.html.j2").module.paper  # type: ignore[attr-defined]
        entries = []
        for rank, (item, one) in enumerate(scored, 1):
            view = paper_view(one, rank)
            entries.append(DigestEntry(view.key, rank, view.title_text, item.shown, block(view)))
        return entries

    def profile_of(self, reader: Reader) -> Profile:
        """The profile the reader's digests are ranked with (the planner's: their 👍 too)."""
        judged = reader_feedback(self.store, [reader.email], self.clock())
        categories = self.settings.sources.arxiv.categories
        return effective_profile(reader, categories, judged.get(reader.email.lower()))

    def builder(self) -> DigestBuilder:
        """The ranker's builder, with the corpus statistics as they were at most
        BUILDER_LIFETIME ago (reading them is most of explaining one page)."""
        from paperwire.digest.select import DigestBuilder

        now = self.clock()
        if self._builder is None or now - self._builder.now > BUILDER_LIFETIME:
            self._builder = DigestBuilder.from_settings(self.store, self.settings, now=now)
        return self._builder

    def explain(self, delivery_id: int, email: str, unexplained: list[ScoredPaper]) -> None:
        """Why lines for a digest's papers its email did not show: worked out when its page is
        first opened (planning thousands of digests does not pay for pages nobody opens), with
        the reader's profile, and kept."""
        reader = self.store.subscribers.get(email)
        if not unexplained or reader is None:
            return
        self.builder().explain(self.profile_of(reader), unexplained)
        self.store.ledger.add_reasons(
            delivery_id, {s.paper.key: s.reasons for s in unexplained if s.reasons}
        )

    def voted_paper(self, email: str, paper_key: str, vote: str, token: str) -> Paper | None:
        """The paper a 👍/👎 link or button is for, when its token is good."""
        subject = feedback_subject(email, paper_key)
        if vote not in VOTES and vote != "none":
            return None
        if not tokens.verify(self.secret, token, tokens.FEEDBACK, subject, self.clock()):
            return None
        return self.store.get_paper(paper_key)

    def feedback_page(self, email: str, paper_key: str, vote: str, token: str) -> Page:
        """What the email's 👍/👎 link opens: the paper and one button that records it."""
        paper = self.voted_paper(email, paper_key, vote, token)
        if paper is None or vote == "none":
            return self.bad_link()
        asked = [b for b in BUTTONS if b[0] == vote] + [b for b in BUTTONS if b[0] != vote]
        return self._vote_page(
            email, paper, token, heading="Your vote", note="", buttons=asked, first=vote
        )

    def feedback(self, email: str, paper_key: str, vote: str, token: str, via: str) -> Page:
        """Record a vote (a button's POST). From the digest's page (`via` "web"), pressing the
        vote already given takes it back."""
        paper = self.voted_paper(email, paper_key, vote, token)
        if paper is None:
            return self.bad_link()
        if via == "web" and vote in VOTES:
            given = {v.paper: v.vote for v in self.store.feedback.votes(email)}
            if given.get(paper.key) == VOTES[vote]:
                vote = "none"
        if vote == "none":
            self.store.feedback.remove(email, paper.key)
        else:
            self.store.feedback.record(email, paper.key, VOTES[vote], via, self.clock())
        heading, note = {
            "up": (
                "👍 Noted: more like this",
                "From three votes on, your digests also bring papers like the ones you liked.",
            ),
            "down": (
                "👎 Noted: not for you",
                "From three votes on, papers much like the ones you disliked rank lower.",
            ),
            "none": ("Vote removed", "Your vote on this paper is gone."),
        }[vote]
        others = [b for b in [*BUTTONS, NO_VOTE] if b[0] != vote]
        return self._vote_page(email, paper, token, heading=heading, note=note, buttons=others)

    def _vote_page(
        self,
        email: str,
        paper: Paper,
        token: str,
        *,
        heading: str,
        note: str,
        buttons: list[tuple[str, int, str]],
        first: str = "",
    ) -> Page:
        return Page(
            "feedback.html.j2",
            {
                "heading": heading,
                "title": paper.title,
                "note": note,
                "email": email,
                "paper": paper.key,
                "token": token,
                "buttons": [VoteButton(label, name, name == first) for name, _, label in buttons],
            },
        )


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _param(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name, "")
    return value if isinstance(value, str) else ""


def check_settings(settings: Settings) -> None:
    """UsageError naming what the pages need and the configuration lacks."""
    delivery = settings.delivery
    if not delivery.base_url:
        raise UsageError(
            "delivery.base_url: needed by paperwire web (the public https:// address of the "
            "pages, e.g. https://papers.example.org)"
        )
    if not delivery.secret.get_secret_value():
        raise UsageError(
            "delivery.secret: needed by paperwire web (it signs every link; better set "
            "PAPERWIRE_DELIVERY__SECRET)"
        )


def create_app(
    settings: Settings,
    store: Store,
    *,
    clock: Callable[[], dt.datetime] | None = None,
    limits: guard.Limits | None = None,
    templates: Path | None = None,
) -> Starlette:
    """The readers' pages for one configured paperwire. Needs `delivery.base_url` and
    `delivery.secret` (UsageError naming the key otherwise)."""
    check_settings(settings)
    delivery = settings.delivery
    pages = Pages(
        settings,
        store,
        clock=clock or (lambda: dt.datetime.now(dt.UTC)),
        limits=limits or guard.Limits(),
        templates=templates or templates_dir(),
    )

    async def form_of(request: Request) -> FormData | None:
        """The request's form, or None when it is larger than MAX_FORM_BYTES (also when sent
        in chunks, without a Content-Length)."""
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_FORM_BYTES):
            return None
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                return None
        request._body = bytes(body)  # what request.form() parses, read once
        return await request.form(max_files=0, max_fields=400)

    async def subscribe(request: Request) -> Response:
        cookie, new = pages.form_cookie(request)
        if request.method != "POST":  # GET, HEAD: read only (scanners fetch links)
            page = pages.subscribe_form(cookie, forms.FormValues())
            return pages.render(page, cookie if new else None)
        form = await form_of(request)
        if form is None:
            return Response("form too large", 413)
        if new or not pages.csrf_ok(request, form, "subscribe"):
            page = pages.subscribe_form(
                cookie,
                forms.FormValues.submitted(form, form.getlist("categories")),  # type: ignore[arg-type]
                "The form had expired: please send it again.",
            )
            page.status = 403
            return pages.render(page, cookie)
        page = await run_in_threadpool(pages.subscribe, _client(request), form, cookie)
        return pages.render(page)

    async def confirm(request: Request) -> Response:
        if request.method != "POST":  # GET, HEAD: read only (scanners fetch links)
            query = request.query_params
            page = await run_in_threadpool(
                pages.confirm_page, _param(query, "data"), _param(query, "token")
            )
            return pages.render(page)
        form = await form_of(request)
        if form is None:
            return Response("form too large", 413)
        # The link's token is what authorises it; the Origin must still be ours.
        if not guard.same_origin(request.headers.get("origin"), pages.base_url):
            return pages.render(pages.bad_link("This form"))
        page = await run_in_threadpool(pages.confirm, _param(form, "data"), _param(form, "token"))
        return pages.render(page)

    async def preferences(request: Request) -> Response:
        cookie, new = pages.form_cookie(request)
        if request.method != "POST":  # GET, HEAD: read only (scanners fetch links)
            email, token = (
                _param(request.query_params, "email"),
                _param(request.query_params, "token"),
            )
            reader = await run_in_threadpool(pages.reader_for, email, token, tokens.PREFERENCES)
            if reader is None:
                return pages.render(pages.bad_link("This preferences link"))
            page = pages.preferences_form(reader, token, cookie)
            return pages.render(page, cookie if new else None)
        form = await form_of(request)
        if form is None:
            return Response("form too large", 413)
        email, token = _param(form, "email"), _param(form, "token")
        reader = await run_in_threadpool(pages.reader_for, email, token, tokens.PREFERENCES)
        if reader is None:
            return pages.render(pages.bad_link("This preferences link"))
        if new or not pages.csrf_ok(request, form, reader.email.lower()):
            page = pages.preferences_form(
                reader, token, cookie, error="The form had expired: please send it again."
            )
            page.status = 403
            return pages.render(page, cookie)
        page = await run_in_threadpool(pages.save_preferences, reader, token, form, cookie)
        return pages.render(page)

    async def preview(request: Request) -> Response:
        email, token = _param(request.query_params, "email"), _param(request.query_params, "token")
        reader = await run_in_threadpool(pages.reader_for, email, token, tokens.PREFERENCES)
        if reader is None:
            return pages.render(pages.bad_link("This preferences link"))
        page = await run_in_threadpool(pages.preview, reader)
        return pages.render(page)

    async def unsubscribe(request: Request) -> Response:
        query = request.query_params
        email, token = _param(query, "email"), _param(query, "token")
        if request.method != "POST":  # GET, HEAD: read only (scanners fetch links)
            if not tokens.verify(pages.secret, token, tokens.UNSUBSCRIBE, email, pages.clock()):
                return pages.render(pages.bad_link("This unsubscribe link"))
            page = Page("unsubscribe.html.j2", {"email": email.strip(), "token": token})
            return pages.render(page)
        # RFC 8058: a POST to the List-Unsubscribe URL (body "List-Unsubscribe=One-Click")
        # unsubscribes at once; the page's button posts the same. The URL's token is the
        # authority: no cookie, no CSRF token, any Origin (mail providers post it).
        form = await form_of(request)
        if form is None:
            return Response("form too large", 413)
        one_click = _param(form, "List-Unsubscribe") == "One-Click"
        email = email or _param(form, "email")
        token = token or _param(form, "token")
        page = await run_in_threadpool(
            pages.unsubscribe, email, token, "one-click" if one_click else "web"
        )
        return pages.render(page)

    async def digest(request: Request) -> Response:
        query = request.query_params
        page = await run_in_threadpool(
            pages.digest,
            _param(query, "email"),
            _param(query, "kind"),
            _param(query, "day"),
            _param(query, "token"),
        )
        return pages.render(page)

    async def feedback(request: Request) -> Response:
        if request.method != "POST":
            # The email's 👍/👎 link: mail scanners fetch every link, so opening it asks (one
            # button); the vote is recorded by the button's POST.
            query = request.query_params
            page = await run_in_threadpool(
                pages.feedback_page,
                _param(query, "email"),
                _param(query, "paper"),
                _param(query, "vote"),
                _param(query, "token"),
            )
            return pages.render(page)
        form = await form_of(request)
        if form is None:
            return Response("form too large", 413)
        query = request.query_params

        def field(name: str) -> str:  # the digest page's forms share some in their action
            return _param(form, name) or _param(query, name)

        # The link's token is the authority (as for unsubscribing); the Origin must be ours.
        if not guard.same_origin(request.headers.get("origin"), pages.base_url):
            return pages.render(pages.bad_link("This form"))
        email = field("email")
        via = "web" if field("back") == "digest" else "email"
        page = await run_in_threadpool(
            pages.feedback,
            email,
            field("paper"),
            field("vote"),
            field("token"),
            via,
        )
        back = field("back")
        if page.status == 200 and back == "digest":
            # Back to the digest's page, built here from its signed parts: never a URL the
            # request names (no open redirect).
            kind, day, digest_token = (
                field("kind"),
                field("day"),
                field("digest_token"),
            )
            back_to = urlencode({"email": email, "kind": kind, "day": day, "token": digest_token})
            anchor = re.sub(r"[^0-9]", "", field("rank"))
            path = urlsplit(pages.base_url).path
            return RedirectResponse(
                f"{path}/digest?{back_to}" + (f"#p{anchor}" if anchor else ""), status_code=303
            )
        return pages.render(page)

    async def feed(request: Request) -> Response:
        path = pages.feeds.served(request.path_params["name"])
        if path is None:
            return Response("not found", 404, media_type="text/plain")
        return FileResponse(
            path,
            media_type="application/atom+xml",
            headers={"cache-control": "private, max-age=300"},
        )

    async def stylesheet(request: Request) -> Response:
        return FileResponse(
            pages.static, media_type="text/css", headers={"cache-control": "public, max-age=3600"}
        )

    async def home(request: Request) -> Response:
        return RedirectResponse(f"{urlsplit(pages.base_url).path}/subscribe", status_code=303)

    async def no_icon(request: Request) -> Response:
        # Browsers ask for one; the pages have none (and a 404 would be logged each time).
        return Response(status_code=204, headers={"cache-control": "public, max-age=86400"})

    async def health(request: Request) -> Response:
        return Response("ok\n", media_type="text/plain")

    routes = [
        Route("/", home),
        Route("/subscribe", subscribe, methods=["GET", "POST"]),
        Route("/confirm", confirm, methods=["GET", "POST"]),
        Route("/preferences", preferences, methods=["GET", "POST"]),
        Route("/preview", preview),
        Route("/unsubscribe", unsubscribe, methods=["GET", "POST"]),
        Route("/digest", digest),
        Route("/feedback", feedback, methods=["GET", "POST"]),
        Route("/feeds/{name}", feed),
        Route("/static/paperwire.css", stylesheet),
        Route("/healthz", health),
        Route("/favicon.ico", no_icon),
    ]
    https = delivery.base_url.startswith("https://")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        yield

    return Starlette(
        routes=routes,
        middleware=[Middleware(guard.SecurityHeaders, https=https)],
        lifespan=lifespan,
    )


def app_from_environment() -> Starlette:
    """The app for `uvicorn --factory` worker processes: the configuration named by
    $PAPERWIRE_CONFIG (as `paperwire web` sets it), read as every command reads it."""
    import os

    from paperwire.config import load_settings
    from paperwire.store import open_store

    settings = load_settings(None, os.environ)
    check_settings(settings)
    return create_app(settings, open_store(settings.database.url, connections=THREADS))


__all__ = ["check_settings", "create_app"]
