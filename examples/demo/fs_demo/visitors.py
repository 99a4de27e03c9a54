"""Who is asking: each visitor's id (the folder of their private files) and the token that
proves a form or an upload came from the demo's own pages (CSRF)."""

from __future__ import annotations

import hmac
import secrets

from flask import request, session

__all__ = ["csrf_ok", "csrf_token", "visitor_id"]


def visitor_id() -> str:
    """This visitor's id, made on first use and kept in the (signed) session cookie."""
    if "visitor" not in session:
        session["visitor"] = secrets.token_hex(8)
    return session["visitor"]


def csrf_token() -> str:
    """The token the pages put in their forms and in the uploader's ``X-CSRF-Token`` header."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(16)
    return session["csrf"]


def csrf_ok() -> bool:
    """Whether this request carries the session's token (form field or header). A custom
    header cannot be sent across sites without the demo's consent (CORS), nor can a form
    field be guessed."""
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf") or ""
    expected = session.get("csrf") or ""
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())
