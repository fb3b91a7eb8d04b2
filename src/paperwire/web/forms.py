"""The subscription form: a reader's settings as form fields, and form fields as settings.

The form is one shape for subscribing and for the preferences page. Lists are typed one
per line (or separated by commas); categories are ticked from arXiv's taxonomy. Checking is
the one `paperwire subscribers` uses (paperwire.Subscriptions), its errors naming the
form's fields by their labels.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from paperwire.config import SubscriberSettings
from paperwire.errors import UsageError
from paperwire.sources.arxiv import taxonomy

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LIST_FIELDS = ("keywords", "authors", "exclude")
MAX_ENTRIES = 50  # keywords (authors, words left out) a form may give
MAX_ENTRY_CHARS = 100
# What errors call each setting: the form's labels.
NAMES = {
    "email": "Email address",
    "name": "Name",
    "keywords": "Keywords",
    "authors": "Authors",
    "exclude": "Leave out papers with",
    "categories": "Categories",
    "mode": "What to send",
    "frequency": "How often",
    "weekday": "Day of a weekly digest",
    "send_at": "Send at",
    "timezone": "Time zone",
    "max_papers": "Papers per digest",
}
# What each archive is, for choosing categories.
ARCHIVE_NAMES = {
    "astro-ph": "Astrophysics",
    "cond-mat": "Condensed matter",
    "cs": "Computer science",
    "econ": "Economics",
    "eess": "Electrical engineering and systems science",
    "gr-qc": "General relativity and quantum cosmology",
    "hep-ex": "High energy physics: experiment",
    "hep-lat": "High energy physics: lattice",
    "hep-ph": "High energy physics: phenomenology",
    "hep-th": "High energy physics: theory",
    "math": "Mathematics",
    "math-ph": "Mathematical physics",
    "nlin": "Nonlinear sciences",
    "nucl-ex": "Nuclear experiment",
    "nucl-th": "Nuclear theory",
    "physics": "Physics",
    "q-bio": "Quantitative biology",
    "q-fin": "Quantitative finance",
    "quant-ph": "Quantum physics",
    "stat": "Statistics",
}
# The names of the categories readers pick most; arXiv's taxonomy page has the rest.
CATEGORY_NAMES = {
    "cs.AI": "Artificial intelligence",
    "cs.CL": "Computation and language",
    "cs.CR": "Cryptography and security",
    "cs.CV": "Computer vision",
    "cs.DB": "Databases",
    "cs.DC": "Distributed computing",
    "cs.DS": "Data structures and algorithms",
    "cs.HC": "Human-computer interaction",
    "cs.IR": "Information retrieval",
    "cs.LG": "Machine learning",
    "cs.MA": "Multiagent systems",
    "cs.NE": "Neural and evolutionary computing",
    "cs.PL": "Programming languages",
    "cs.RO": "Robotics",
    "cs.SE": "Software engineering",
    "cs.SD": "Sound",
    "eess.AS": "Audio and speech processing",
    "eess.IV": "Image and video processing",
    "eess.SP": "Signal processing",
    "math.OC": "Optimization and control",
    "math.ST": "Statistics theory",
    "q-bio.NC": "Neurons and cognition",
    "q-bio.QM": "Quantitative methods",
    "stat.ME": "Methodology",
    "stat.ML": "Machine learning (statistics)",
}


@dataclass(frozen=True, slots=True)
class Choice:
    """A checkbox or option: its value and label, escaped once (Markup), not per page."""

    value: Markup
    label: Markup


@dataclass(frozen=True, slots=True)
class Archive:
    """One group of categories to tick."""

    name: str
    label: str
    categories: tuple[Choice, ...]


@functools.cache
def archives() -> tuple[Archive, ...]:
    """arXiv's taxonomy as groups to tick: an archive alone where it has no categories."""
    found = []
    for archive in sorted(taxonomy.ARCHIVES):
        names = sorted(c for c in taxonomy.CATEGORIES if c.startswith(f"{archive}."))
        choices = tuple(
            Choice(escape(c), escape(f"{c} — {CATEGORY_NAMES[c]}" if c in CATEGORY_NAMES else c))
            for c in names or [archive]
        )
        found.append(Archive(archive, ARCHIVE_NAMES.get(archive, archive), choices))
    return tuple(found)


def archives_of(categories: frozenset[str]) -> frozenset[str]:
    """The archives of chosen categories ("cs.LG" → "cs"), whose boxes show them ticked."""
    return frozenset(c.split(".")[0] for c in categories)


@functools.cache
def timezones() -> tuple[Markup, ...]:
    """Every IANA time zone name, for the time zone field's suggestions (escaped once: the
    600 of them were most of a form page's time)."""
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return tuple(escape(z) for z in zones)


def _lines(value: str) -> list[str]:
    """A list typed one per line or separated by commas or semicolons."""
    return [part.strip() for part in re.split(r"[\n,;]", value) if part.strip()]


def settings_from_form(form: Mapping[str, Any], categories: Sequence[str]) -> dict[str, Any]:
    """The settings a submitted form asks for (their values unchecked: Subscriptions checks
    them); UsageError when a list is longer than the form allows."""

    def text(name: str) -> str:
        value = form.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    data: dict[str, Any] = {
        "name": text("name"),
        "categories": list(dict.fromkeys(c for c in categories if c.strip())),
        "mode": text("mode") or "topics",
        "frequency": text("frequency") or "daily",
        "weekday": text("weekday") or "monday",
        "send_at": text("send_at"),
        "timezone": text("timezone"),
    }
    for name in LIST_FIELDS:
        data[name] = _lines(text(name))
        # What a reader types, bounded: the settings travel in the confirmation link.
        if len(data[name]) > MAX_ENTRIES:
            raise UsageError(f"{NAMES[name]}: at most {MAX_ENTRIES}, one per line")
        long = next((e for e in data[name] if len(e) > MAX_ENTRY_CHARS), None)
        if long is not None:
            raise UsageError(f"{NAMES[name]}: {long[:30]}…: at most {MAX_ENTRY_CHARS} characters")
    if len(data["name"]) > MAX_ENTRY_CHARS:
        raise UsageError(f"{NAMES['name']}: at most {MAX_ENTRY_CHARS} characters")
    if text("max_papers"):
        data["max_papers"] = text("max_papers")
    return data


@dataclass(frozen=True)
class FormValues:
    """What the form's fields show: a reader's settings, or what was just submitted."""

    email: str = ""
    name: str = ""
    keywords: str = ""
    authors: str = ""
    exclude: str = ""
    categories: frozenset[str] = frozenset()
    mode: str = "topics"
    frequency: str = "daily"
    weekday: str = "monday"
    send_at: str = ""
    timezone: str = ""
    max_papers: str = ""
    paused: bool = False

    @classmethod
    def of(cls, settings: SubscriberSettings) -> FormValues:
        return cls(
            email=settings.email,
            name=settings.name,
            keywords="\n".join(settings.keywords),
            authors="\n".join(settings.authors),
            exclude="\n".join(settings.exclude),
            categories=frozenset(settings.categories),
            mode=settings.mode,
            frequency=settings.frequency,
            weekday=settings.weekday,
            send_at=settings.send_at,
            timezone=settings.timezone,
            max_papers="" if settings.max_papers is None else str(settings.max_papers),
            paused=settings.paused,
        )

    @classmethod
    def submitted(cls, form: Mapping[str, Any], categories: Sequence[str]) -> FormValues:
        def text(name: str) -> str:
            value = form.get(name, "")
            return value if isinstance(value, str) else ""

        return cls(
            email=text("email").strip(),
            name=text("name"),
            keywords=text("keywords"),
            authors=text("authors"),
            exclude=text("exclude"),
            categories=frozenset(categories),
            mode=text("mode") or "topics",
            frequency=text("frequency") or "daily",
            weekday=text("weekday") or "monday",
            send_at=text("send_at"),
            timezone=text("timezone"),
            max_papers=text("max_papers"),
            paused=bool(form.get("paused")),
        )
