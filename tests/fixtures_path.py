"""Where test fixtures live: the shared real arXiv responses and this repository's own files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Real responses copied from public repositories (see PROVENANCE.md there); not shipped here.
REAL = Path(os.environ.get("PAPERWIRE_FIXTURES", REPO.parent / "shared" / "fixtures" / "real"))
# Small hand-written fixtures that live in this repository, so the suite means something alone.
OWN = Path(__file__).resolve().parent / "fixtures"

# Mark tests that read REAL, so `-m "not shared_fixtures"` can leave them out.
shared_fixtures = pytest.mark.shared_fixtures


def real_fixture(relpath: str) -> bytes:
    """Bytes of a shared real fixture; skips the test only when the whole directory is absent.

    A missing *file* inside a present directory is an error, not a skip: it means a renamed
    or deleted fixture, which should fail loudly.
    """
    if not REAL.is_dir():
        pytest.skip(f"shared fixtures not found at {REAL} (set PAPERWIRE_FIXTURES)")
    return (REAL / relpath).read_bytes()


def own_fixture(relpath: str) -> bytes:
    """Bytes of one of this repository's fixtures under tests/fixtures/ (never skips)."""
    return (OWN / relpath).read_bytes()
