"""Digests: choose a reader's papers for a window (select, kinds), then lay them out (view,
formats). Names are imported on first use, so that importing this package costs nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from paperwire._lazy import lazy_exports

if TYPE_CHECKING:
    from paperwire.digest.formats import (
        digest_json,
        render_html,
        render_markdown,
        render_text,
        templates_dir,
    )
    from paperwire.digest.select import DigestBuilder, DigestRequest, build_digest
    from paperwire.digest.view import (
        Footer,
        digest_view,
        highlight,
        highlight_forms,
        render_subject,
    )

_HOMES = {
    "DigestBuilder": "paperwire.digest.select",
    "DigestRequest": "paperwire.digest.select",
    "Footer": "paperwire.digest.view",
    "build_digest": "paperwire.digest.select",
    "digest_json": "paperwire.digest.formats",
    "digest_view": "paperwire.digest.view",
    "highlight": "paperwire.digest.view",
    "highlight_forms": "paperwire.digest.view",
    "render_html": "paperwire.digest.formats",
    "render_markdown": "paperwire.digest.formats",
    "render_subject": "paperwire.digest.view",
    "render_text": "paperwire.digest.formats",
    "templates_dir": "paperwire.digest.formats",
}


__getattr__ = lazy_exports(__name__, _HOMES)
__all__ = [
    "DigestBuilder",
    "DigestRequest",
    "Footer",
    "build_digest",
    "digest_json",
    "digest_view",
    "highlight",
    "highlight_forms",
    "render_html",
    "render_markdown",
    "render_subject",
    "render_text",
    "templates_dir",
]
