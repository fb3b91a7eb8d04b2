"""Add, change, remove, import and export the readers kept in the database.

What `paperwire subscribers` does (and what pages where readers manage themselves will do):
every change is checked by the model the configuration file's `[[subscribers]]` are checked
by, a reader's sources must be configured ones, and the file's readers are left to the file.
Errors are one line, naming what was wrong in the caller's words (`names`: a setting → the
option or form field that sets it).
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from paperwire.config import Settings, SubscriberSettings
from paperwire.doi import arxiv_id_of_doi, normal_doi
from paperwire.errors import ProfileError, SubscriberExists, UsageError
from paperwire.models import Origin, Paper, Reader
from paperwire.readers import sync_readers
from paperwire.sources.arxiv.ids import parse_arxiv_id
from paperwire.store import Store
from paperwire.store.feedback import Vote
from paperwire.store.ledger import Delivery
from paperwire.store.subscribers import SyncReport
from paperwire.syntax import split_weight

Where = Callable[[tuple[int | str, ...]], str]
EXPORT_HEADER = (
    "# paperwire subscribers: read back with `paperwire subscribers import FILE`,\n"
    "# or paste into a paperwire configuration file.\n\n"
)
# The settings `edit(clear=…)` may reset: every one but the address.
CLEARABLE = sorted(set(SubscriberSettings.model_fields) - {"email"})


@dataclass(frozen=True)
class Edited:
    """What `Subscriptions.edit` did: the reader's settings after, and which changed."""

    settings: SubscriberSettings
    changed: list[str]


@dataclass
class ImportReport:
    """What `Subscriptions.import_entries` did, address by address."""

    imported: int = 0
    replaced: int = 0
    present: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    configured: list[str] = field(default_factory=list)
    unsubscribed: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return (
            len(self.present) + len(self.unchanged) + len(self.configured) + len(self.unsubscribed)
        )


def settings_of(reader: Reader) -> SubscriberSettings:
    """A reader's settings, every one of them, as the configuration file's model holds them
    (a stored row nobody can read any more: its address, paused)."""
    try:
        return SubscriberSettings.model_validate(reader.settings())
    except ValidationError:
        return SubscriberSettings(email=reader.email, paused=True)


def problems(exc: ValidationError, where: Where) -> str:
    """One line for what is wrong, each problem prefixed with `where` its value came from."""
    errors = exc.errors()
    parts = []
    for error in errors[:3]:
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        prefix = where(tuple(error["loc"]))
        parts.append(f"{prefix}: {message}" if prefix else message)
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(parts) + more


def entry_location(name: str = "") -> Where:
    """Where a problem in an import file is: "readers.toml: subscribers[2].keywords" (without
    a name: "subscribers[2].keywords")."""

    def where(loc: tuple[int | str, ...]) -> str:
        key = ""
        for part in loc:
            key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else part)
        return f"{name}: {key}" if name and key else key or name

    return where


def read_entries(name: str, text: str, *, as_json: bool) -> list[Any]:
    """The subscriber entries of an import file: TOML `[[subscribers]]` or a JSON list (as
    `export` writes them). `name` says where the text came from, in errors."""
    if as_json:
        try:
            data: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{name}: invalid JSON: {exc}") from None
        if isinstance(data, dict) and set(data) == {"subscribers"}:
            data = data["subscribers"]
        if not isinstance(data, list):
            raise UsageError(f"{name}: not a JSON list of subscribers")
        return data
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{name}: invalid TOML: {exc}") from None
    # Other sections of a configuration file are left alone; anything else is a typo.
    unknown = sorted(set(document) - set(Settings.model_fields))
    if unknown:
        raise UsageError(f"{name}: {unknown[0]}: unknown key (only [[subscribers]] is imported)")
    entries = document.get("subscribers")
    if not isinstance(entries, list):
        raise UsageError(f"{name}: no [[subscribers]] tables")
    return entries


def export_text(readers: Sequence[Reader], output_format: str) -> str:
    """Readers as `import_entries` reads them back: TOML `[[subscribers]]` tables (a valid
    configuration fragment) or a JSON list; only settings that differ from the defaults."""
    entries = [r.settings() for r in readers]
    if output_format == "json":
        return json.dumps(entries, ensure_ascii=False, indent=2) + "\n"
    import tomli_w

    return EXPORT_HEADER + tomli_w.dumps({"subscribers": entries})


def _missing(email: str) -> UsageError:
    return UsageError(f"{email} is not a subscriber (see paperwire subscribers list)")


def _paper_ids(text: str) -> list[str]:
    """The ids a paper typed by a person may be stored under: an arXiv id without its version
    (from "arXiv:2401.01234v2" or an abs/pdf URL), else the text itself (a key, a DOI alias),
    and for a DOI however written ("10.1101/743294", a doi.org link), its "doi:…" alias."""
    text = text.strip()
    try:
        return [parse_arxiv_id(text)[0], text]
    except ValueError:
        doi = normal_doi(text)
        if doi is None or f"doi:{doi}" == text:
            return [text]
        arxiv = arxiv_id_of_doi(doi)  # arXiv's own DOI names the arXiv paper
        return [text, arxiv] if arxiv else [text, f"doi:{doi}"]


def _term(text: str) -> str:
    """A keyword without its weight, for comparing: "LoRA^2" → "lora"."""
    try:
        return split_weight(text)[0].lower()
    except ProfileError:
        return text.strip().lower()


class Subscriptions:
    """The readers of one configured paperwire, as a program changes them.

    Make one with `Paperwire.subscriptions()`; call `sync()` first so that the configuration
    file's readers are in the database (the file wins for them).
    """

    def __init__(self, store: Store, settings: Settings, now: Callable[[], dt.datetime]) -> None:
        self._store = store
        self._settings = settings
        self._now = now

    def sync(self) -> SyncReport:
        """Write the configuration file's readers to the database; what changed."""
        return sync_readers(self._store, self._settings, self._now())

    def all(self) -> list[Reader]:
        """Every reader in the database, by address."""
        return self._store.subscribers.all()

    def find(self, email: str) -> Reader:
        """The reader with this address (any case); UsageError when there is none."""
        found = self._store.subscribers.get(email)
        if found is None:
            raise UsageError(
                f"{email.strip()} is not a subscriber (see paperwire subscribers list)"
            )
        return found

    def unsubscribed(self, email: str) -> tuple[dt.datetime, str] | None:
        """When and how the address unsubscribed (it gets no digest), or None."""
        return self._store.unsubscribed.when(email)

    def last_delivery(self, email: str) -> Delivery | None:
        """The reader's latest digest in the ledger, on any channel."""
        deliveries = self._store.ledger.deliveries(email)
        return deliveries[-1] if deliveries else None

    def check(
        self, data: Mapping[str, Any], *, names: Mapping[str, str] | None = None
    ) -> SubscriberSettings:
        """A reader's settings as `add` would store them; UsageError naming what is wrong."""
        return self._validated(data, names or {})

    def add(
        self,
        data: Mapping[str, Any],
        *,
        names: Mapping[str, str] | None = None,
        origin: Origin = Origin.CLI,
    ) -> Reader:
        """Add a reader with these settings (the others take the defaults)."""
        subscriber = self._validated(data, names or {})
        existing = self._store.subscribers.get(subscriber.email)
        if existing is not None and existing.origin == Origin.CONFIG:
            raise UsageError(f"{existing.email} is already a subscriber, in {self._file()}")
        if origin != Origin.WEB and subscriber.email in self._store.unsubscribed:
            # They asked to hear no more: only they can undo it (the subscribe page).
            raise UsageError(
                f"{subscriber.email} unsubscribed; only they can subscribe again "
                "(paperwire web's subscribe page)"
            )
        taken = f"{subscriber.email} is already a subscriber (use `paperwire subscribers edit`)"
        if existing is not None:
            raise UsageError(taken)
        reader = subscriber.to_reader(origin)
        try:
            self._store.subscribers.add(reader, self._now(), origin)
        except SubscriberExists:  # added by someone else meanwhile
            raise UsageError(taken) from None
        return reader

    def edit(
        self,
        email: str,
        changes: Mapping[str, Any],
        *,
        clear: Iterable[str] = (),
        add_keywords: Sequence[str] = (),
        remove_keywords: Sequence[str] = (),
        names: Mapping[str, str] | None = None,
    ) -> Edited:
        """Change a reader's settings: `clear` resets settings to their defaults first, then
        `changes` replace settings (a list by the values given), then keywords are removed
        (by term, whatever their weight) and added (replacing the same term's)."""
        names = dict(names or {})
        found = self.changeable(email, "edit")
        before = settings_of(found)
        if "email" in changes and str(changes["email"]).strip().lower() != before.email.lower():
            # A reader's address is who they are: changing it here would overwrite another.
            raise UsageError(f"{names.get('email', 'email')}: an address cannot be changed")
        data = before.model_dump(mode="json")
        for setting in clear:
            if setting not in CLEARABLE:
                raise UsageError(f"{setting}: not a setting that can be cleared")
            default = SubscriberSettings.model_fields[setting]
            data[setting] = default.get_default(call_default_factory=True)
        data |= changes
        data["email"] = before.email
        keywords = list(data["keywords"])
        for text in remove_keywords:
            kept = [k for k in keywords if _term(k) != _term(text)]
            if len(kept) == len(keywords):
                what = names.get("remove_keywords", "remove_keywords")
                raise UsageError(f"{what}: {text!r} is not a keyword of {before.email}")
            keywords = kept
        for text in add_keywords:
            keywords = [k for k in keywords if _term(k) != _term(text)] + [text]
        data["keywords"] = keywords
        if add_keywords and "keywords" not in changes and "add_keywords" in names:
            names["keywords"] = names["add_keywords"]
        # A source no longer configured is kept until the reader changes their sources.
        after = self._validated(data, names, kept=before.sources)
        old, new = before.model_dump(), after.model_dump()
        changed = [setting for setting in new if new[setting] != old[setting]]
        if changed and not self._store.subscribers.replace(
            after.to_reader(found.origin), self._now()
        ):
            raise UsageError(f"{before.email} is not a subscriber (see paperwire subscribers list)")
        return Edited(after, changed)

    def remove(self, email: str) -> Reader:
        """Remove a reader; their delivery history is kept, so adding them again never
        resends what they already received."""
        found = self.changeable(email, "remove")
        if not self._store.subscribers.remove(found.email):
            raise _missing(found.email)  # removed meanwhile
        return found

    # --- what readers say of papers --------------------------------------------------------

    def judge(self, email: str, papers: Sequence[str], vote: int, via: str = "cli") -> list[Paper]:
        """Record the reader's 👍 (`vote` +1) or 👎 (-1) on stored papers (arXiv ids, URLs or
        keys), replacing earlier votes on them; the papers. UsageError naming the reader or
        the first paper that is not known, and then nothing is recorded."""
        reader = self.find(email)
        gone = self.unsubscribed(reader.email)
        if gone is not None:
            raise UsageError(
                f"{reader.email} unsubscribed on {gone[0]:%Y-%m-%d}: their votes are not kept"
            )
        found = self._papers(papers)
        now = self._now()
        for paper in found:
            self._store.feedback.record(reader.email, paper.key, vote, via, now)
        return found

    def unjudge(self, email: str, papers: Sequence[str]) -> list[str]:
        """Take back the reader's votes on papers; the keys. UsageError naming the first paper
        the reader has no vote on, and then nothing is removed."""
        reader = self.find(email)
        given = {v.paper for v in self._store.feedback.votes(reader.email)}
        keys: list[str] = []
        for text in papers:
            key = next((k for k in _paper_ids(text) if k in given), None)
            if key is None:
                stored = self._store.get_papers(_paper_ids(text))
                key = next((p.key for p in stored.values() if p.key in given), None)
            if key is None:
                raise UsageError(f"{reader.email} has no vote on {text.strip()!r}")
            if key not in keys:  # the same paper named twice is taken back once
                keys.append(key)
        for key in keys:
            self._store.feedback.remove(reader.email, key)
        return keys

    def judgments(self, email: str) -> list[tuple[Vote, Paper | None]]:
        """The reader's votes, newest first, each with its paper (None: no longer stored)."""
        reader = self.find(email)
        votes = self._store.feedback.votes(reader.email)
        stored = self._store.get_papers([v.paper for v in votes])
        return [(v, stored.get(v.paper)) for v in votes]

    def _papers(self, texts: Sequence[str]) -> list[Paper]:
        found: list[Paper] = []
        for text in texts:
            ids = _paper_ids(text)
            stored = self._store.get_papers(ids)
            paper = next((stored[i] for i in ids if i in stored), None)
            if paper is None:
                raise UsageError(
                    f"paper {text.strip()!r} is not in the store "
                    "(paperwire search finds the stored papers)"
                )
            found.append(paper)
        return list({p.key: p for p in found}.values())

    def import_entries(
        self, entries: list[Any], *, replace: bool = False, where: Where | None = None
    ) -> ImportReport:
        """Add readers from entries as `read_entries` returns them. Every entry is checked
        first: one bad entry and nothing is imported. Readers already in the database are
        skipped unless `replace`; the configuration file's are never touched."""
        # `origin`: as `subscribers list --format json` writes it; the caller's dicts stay.
        entries = [
            {k: v for k, v in entry.items() if k != "origin"} if isinstance(entry, dict) else entry
            for entry in entries
        ]
        # Checked as the file's entries are, against this configuration's sources.
        document = {"subscribers": entries, "sources": self._settings.sources}
        try:
            incoming = Settings.model_validate(document).subscribers
        except ValidationError as exc:
            raise UsageError(problems(exc, where or entry_location())) from None
        now, book, report = self._now(), self._store.subscribers, ImportReport()
        unsubscribed = self._store.unsubscribed.all()
        for subscriber in incoming:
            existing = book.get(subscriber.email)
            if subscriber.email.lower() in unsubscribed:
                report.unsubscribed.append(subscriber.email)
            elif existing is not None and existing.origin == Origin.CONFIG:
                report.configured.append(subscriber.email)
            elif existing is not None and not replace:
                report.present.append(subscriber.email)
            elif existing is not None and settings_of(existing) == subscriber:
                report.unchanged.append(subscriber.email)
            elif existing is not None:
                book.replace(subscriber.to_reader(Origin.CLI), now)
                report.replaced += 1
            else:
                try:
                    book.add(subscriber.to_reader(Origin.CLI), now)
                    report.imported += 1
                except SubscriberExists:  # added by someone else meanwhile
                    report.present.append(subscriber.email)
        return report

    def _file(self) -> str:
        path = self._settings.config_file
        return f"the configuration file {path}" if path else "the configuration"

    def changeable(self, email: str, verb: str = "edit") -> Reader:
        """A reader a program may change: not one of the configuration file's."""
        found = self.find(email)
        if found.origin == Origin.CONFIG:
            raise UsageError(f"{found.email} is in {self._file()}; {verb} it there")
        return found

    def _validated(
        self, data: Mapping[str, Any], names: Mapping[str, str], kept: Iterable[str] = ()
    ) -> SubscriberSettings:
        try:
            subscriber = SubscriberSettings.model_validate(data)
        except ValidationError as exc:
            message = problems(exc, lambda loc: names.get(str(loc[0]), str(loc[0])) if loc else "")
            raise UsageError(message) from None
        self._check_sources(subscriber, names.get("sources", "sources"), kept)
        return subscriber

    def _check_sources(
        self, subscriber: SubscriberSettings, where: str, kept: Iterable[str] = ()
    ) -> None:
        """A reader may only name sources this configuration fetches (`kept`: names they had
        already, left alone)."""
        known, kept = self._settings.source_names(), set(kept)
        for name in subscriber.sources:
            if name not in known and name not in kept:
                raise UsageError(
                    f"{where}: {name!r} is not a configured source ({', '.join(known)})"
                )
