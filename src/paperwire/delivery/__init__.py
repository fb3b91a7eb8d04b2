"""Where digests go: channels behind one interface (delivery.base), the planner that keeps
the ledger (delivery.planner), and each channel's package (delivery.email).

`configured(settings, store)` gives the channels a run delivers on, by name. To add a
channel, add it here and its name to config.CHANNELS; see docs/ARCHITECTURE.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paperwire.config import Settings
    from paperwire.delivery.base import Channel
    from paperwire.store import Store


def configured(
    settings: Settings, store: Store, *, outbox: str | None = None
) -> dict[str, Channel]:
    """Every channel, by name. `outbox`: email goes to .eml files in this directory."""
    from paperwire.delivery.atom import AtomChannel
    from paperwire.delivery.email.channel import EmailChannel

    delivery = settings.delivery
    return {
        "email": EmailChannel.from_settings(settings, outbox),
        "atom": AtomChannel(
            Path(delivery.feeds_dir or "feeds"),
            store,
            base_url=delivery.base_url,
            size=delivery.feed_size,
        ),
    }
