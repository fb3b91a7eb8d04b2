"""Deliver messages as .eml files into a directory, each written atomically."""

from __future__ import annotations

import hashlib
import re
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from paperwire.delivery.base import DeliveryResult
from paperwire.delivery.email.message import envelope, headers_of, message_bytes
from paperwire.errors import OutboxError
from paperwire.files import write_into

__all__ = ["OutboxError", "OutboxTransport", "eml_name"]

# What a recipient may keep in a file name: ASCII letters, digits and a few harmless marks.
_UNSAFE = re.compile(r"[^a-z0-9@._+-]+")
_MAX_RECIPIENT = 64  # the name stays far below the 255 bytes file systems allow


class OutboxTransport:
    """Writes each message to `<directory>/<date>-<recipient>-<id>.eml`, the bytes SMTP
    would carry. The same Message-ID always gives the same file, so sending again replaces it.
    """

    kind = "outbox"  # as the delivery ledger records it

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def describe(self) -> str:
        """The directory, e.g. 'outbox /path/to/dir'."""
        return f"outbox {self.directory}"

    def send(self, message: EmailMessage) -> DeliveryResult:
        """Write the message (temp file, fsync, rename); an unwritable directory is an
        OutboxError."""
        return self.send_bytes(message_bytes(message))

    def send_bytes(self, data: bytes) -> DeliveryResult:
        """Write a message's bytes as they are (message_bytes made them); as `send`."""
        try:
            # A message is the reader's mail: for the owner alone.
            path = write_into(self.directory, eml_name(headers_of(data)), data, mode=0o600)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise OutboxError(f"outbox {self.directory}: cannot write: {reason}") from None
        return DeliveryResult("sent", f"written to {path}")

    def close(self) -> None:
        """Nothing to release: every message is on disk when `send` returns."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def eml_name(message: EmailMessage) -> str:
    """The file name, e.g. 2025-01-03-ada@example.org-0123456789ab.eml: the Date header's day,
    the recipient made safe for any file system, and 12 hex digits of a hash of the Message-ID."""
    date_header: Any = message["Date"]
    message_id = str(message["Message-ID"] or "").strip()
    if date_header is None or date_header.datetime is None or not message_id:
        raise ValueError("a message for the outbox needs a Date and a Message-ID")
    recipient = envelope(message)[1].lower()
    # Only [a-z0-9@._+-] survive, and never two dots in a row: no separator, no "..".
    safe = re.sub(r"\.{2,}", ".", _UNSAFE.sub("_", recipient))[:_MAX_RECIPIENT].strip(".") or "_"
    key = hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:12]
    return f"{date_header.datetime.date().isoformat()}-{safe}-{key}.eml"
