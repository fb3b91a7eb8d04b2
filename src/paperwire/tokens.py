"""Signed tokens for the links in a digest: bound to a purpose and a reader, with an expiry.

A token is "<expiry>.<signature>": the expiry in Unix seconds (hex; "0": none) and an
HMAC-SHA256 over the purpose, the reader's address and the expiry, keyed with
`delivery.secret`. A token made for "preferences" does not unsubscribe, one made for Ada does
nothing for Bob, and one past its expiry is refused.

One-click unsubscribe links do not expire: a reader must be able to leave from any digest
they still have (RFC 8058 links are followed months later), and neither do the links to a
delivered digest's page and its 👍/👎 links. A preferences link opens a page that changes
settings, so it lasts `PREFERENCES_LIFETIME`; a newer digest carries a fresh one. A
subscription's confirmation link lasts two days; a form's CSRF token two hours.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

UNSUBSCRIBE = "unsubscribe"
PREFERENCES = "preferences"
CONFIRM = "confirm"  # subject: the subscription asked for, as canonical JSON
DIGEST = "digest"  # subject: "<address>\0<kind>\0<first day>"
FEEDBACK = "feedback"  # subject: "<address>\0<paper key>"
FORM = "form"  # subject: the form's cookie value (CSRF)
PREFERENCES_LIFETIME = dt.timedelta(days=60)
CONFIRM_LIFETIME = dt.timedelta(days=2)
LIFETIMES: dict[str, dt.timedelta | None] = {
    UNSUBSCRIBE: None,
    PREFERENCES: PREFERENCES_LIFETIME,
    CONFIRM: CONFIRM_LIFETIME,
    DIGEST: None,
    FEEDBACK: None,
    FORM: dt.timedelta(hours=2),
}


def _signature(secret: str, purpose: str, subject: str, stamp: str) -> str:
    if purpose in (UNSUBSCRIBE, PREFERENCES):  # an address, in any case
        subject = subject.strip().lower()
    message = f"{purpose}\0{subject}\0{stamp}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii")


def sign(secret: str, purpose: str, subject: str, now: dt.datetime) -> str:
    """A token for `purpose` ("unsubscribe", "preferences") and `subject` (a reader's
    address), expiring as LIFETIMES says for that purpose."""
    lifetime = LIFETIMES[purpose]
    stamp = "0" if lifetime is None else format(int((now + lifetime).timestamp()), "x")
    return f"{stamp}.{_signature(secret, purpose, subject, stamp)}"


def verify(secret: str, token: str, purpose: str, subject: str, now: dt.datetime) -> bool:
    """Whether `token` was signed with `secret` for this purpose and subject, and is not past
    its expiry."""
    stamp, dot, signature = token.partition(".")
    if not dot or not stamp or not all(c in "0123456789abcdef" for c in stamp):
        return False
    expected = _signature(secret, purpose, subject, stamp)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return False
    return stamp == "0" or now.timestamp() <= int(stamp, 16)
