"""The readers' pages (`paperwire web`): subscribe with double opt-in, preferences, one-click
unsubscribe, a delivered digest's every paper, 👍/👎 feedback, and readers' Atom feeds.

`create_app(settings, store)` (web.app) is the ASGI app; `paperwire web` serves it with
uvicorn. guard.py holds the security rules, forms.py the settings form, mail.py the
confirmation mails.
"""
