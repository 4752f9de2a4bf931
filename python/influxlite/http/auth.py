"""Authentication with ``[http] auth-enabled = true``, as InfluxDB 1.8's ``authenticate`` and
``parseCredentials`` (services/httpd/handler.go) do it.

* No admin user yet: requests are not authenticated (``user`` is None); the write handler then
  refuses writes and the query authorizer allows only ``CREATE USER ... WITH ALL PRIVILEGES``.
* Otherwise the credentials are, in this order: URL parameters ``u`` and ``p`` (both
  non-empty; never the form body, as 1.8 reads ``r.URL.Query()``), ``Authorization: Token
  user:password`` (1.8's v2-compatible scheme), ``Authorization: Basic ...``. ``Bearer`` (JWT)
  needs a shared secret, which influxlite has no setting for: ``bearer auth disabled``.
* Failures are 401 with InfluxDB's texts: ``unable to parse authentication credentials``,
  ``username required``, ``authorization failed`` (unknown user or wrong password alike).

Passwords are checked against the meta store's salted scrypt hashes. The KDF is slow on
purpose, so a verified password is remembered: per user, an HMAC (random per-process key) of
the password and the stored hash it was checked against, in a bounded LRU. A cache entry counts
only while the user's stored hash is still that one, so SET PASSWORD and DROP USER (a re-created
user gets a new salt) refuse the old password at once; InfluxDB's own cache outlives DROP USER.
Comparisons are constant-time; the KDF runs in the thread pool, one at a time per user and
password however many requests wait for it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import os
import re
import threading
from collections import OrderedDict
from urllib.parse import parse_qsl, urlencode

from ..meta.passwords import verify_password

__all__ = ["AUTHENTICATED_PATHS", "Authenticator", "AuthCache", "basic_auth", "parse_credentials", "redact_query",
           "sanitize_influxql", "AuthenticationError"]

# The routes InfluxDB wraps in ``authenticate``; /ping, /health, /status, /metrics and
# /debug/* are open (1.8 without ping-auth-enabled / pprof-auth-enabled).
AUTHENTICATED_PATHS = frozenset({"/write", "/api/v2/write", "/query"})
UNPARSABLE = "unable to parse authentication credentials"
USERNAME_REQUIRED = "username required"
AUTHORIZATION_FAILED = "authorization failed"
BEARER_DISABLED = "bearer auth disabled"


class AuthenticationError(Exception):
    """A 401; ``str(e)`` is InfluxDB's text (never the password)."""


def basic_auth(header: str) -> tuple[str, str] | None:
    """Go's ``Request.BasicAuth``: ``Basic`` (any case) and base64 ``user:password``."""
    if len(header) < 6 or header[:6].lower() != "basic ":
        return None
    try:
        raw = base64.b64decode(header[6:], validate=True)
    except (binascii.Error, ValueError):
        return None
    user, colon, password = raw.decode("utf-8", "surrogateescape").partition(":")
    return (user, password) if colon else None


def parse_credentials(query: dict, headers: dict) -> tuple[str, str]:
    """(user, password) from a request, as 1.8's ``parseCredentials``; ``AuthenticationError``
    when there are none (or a Bearer token, which needs a shared secret)."""
    user, password = query.get("u", ""), query.get("p", "")
    if user and password:
        return user, password
    auth = headers.get("authorization", "")
    if auth:
        parts = auth.split(" ")
        if len(parts) == 2:
            if parts[0] == "Bearer":
                raise AuthenticationError(BEARER_DISABLED)
            if parts[0] == "Token" and ":" in parts[1]:
                user, _, password = parts[1].partition(":")
                return user, password
        basic = basic_auth(auth)
        if basic is not None:
            return basic
    raise AuthenticationError(UNPARSABLE)


class AuthCache:
    """Verified passwords: ``user name -> (stored hash, HMAC of the password)``, at most
    ``max_entries`` users (least recently used dropped first). Thread-safe."""

    def __init__(self, max_entries: int = 1024) -> None:
        self.max_entries = max_entries
        self._key = os.urandom(32)
        self._entries: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def mac(self, user: str, password: str) -> bytes:
        msg = user.encode("utf-8", "surrogateescape") + b"\0" + password.encode("utf-8", "surrogateescape")
        return hmac.new(self._key, msg, hashlib.sha256).digest()

    def check(self, name: str, stored_hash: str, mac: bytes) -> bool:
        with self._lock:
            entry = self._entries.get(name)
            if entry is None:
                return False
            if entry[0] != stored_hash:  # the password was set anew, or the user re-created
                del self._entries[name]
                return False
            self._entries.move_to_end(name)
        return hmac.compare_digest(entry[1], mac)

    def add(self, name: str, stored_hash: str, mac: bytes) -> None:
        with self._lock:
            self._entries[name] = (stored_hash, mac)
            self._entries.move_to_end(name)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class Authenticator:
    """``await authenticate(req)``: the ``UserInfo`` (None while no admin exists), or
    ``AuthenticationError``."""

    def __init__(self, meta, pool, cache: AuthCache | None = None) -> None:
        self.meta = meta
        self.pool = pool
        self.cache = cache or AuthCache()
        self._pending: dict[tuple[str, bytes], asyncio.Future] = {}

    async def authenticate(self, req):
        if not self.meta.admin_user_exists():
            return None
        name, password = parse_credentials(req.query, req.headers)
        if not name:
            raise AuthenticationError(USERNAME_REQUIRED)
        user = self.meta.user(name)
        if user is None:
            raise AuthenticationError(AUTHORIZATION_FAILED)
        stored = user.hash
        mac = self.cache.mac(name, password)
        if self.cache.check(name, stored, mac):
            return user
        key = (name, mac)
        pending = self._pending.get(key)
        if pending is None:  # the first request with these credentials runs the KDF
            loop = asyncio.get_running_loop()
            pending = loop.run_in_executor(self.pool, verify_password, password, stored)
            self._pending[key] = pending
            pending.add_done_callback(lambda _f, k=key: self._pending.pop(k, None))
        if not await asyncio.shield(pending):
            raise AuthenticationError(AUTHORIZATION_FAILED)
        self.cache.add(name, stored, mac)
        return user


# --- keeping secrets out of the access log ------------------------------------------------------

# influxql's Sanitize patterns, with a quoted password taken whole (Go's stops at a space in it).
_SECRET = r"""('(?:[^'\\]|\\.)*'?|"(?:[^"\\]|\\.)*"?|[^\s;]+)"""
_SET_PASSWORD = re.compile(r"(?i)password\s+for[^=]*=\s*" + _SECRET)
_WITH_PASSWORD = re.compile(r"(?i)with\s+password\s+" + _SECRET)


def sanitize_influxql(text: str) -> str:
    """As influxql's ``Sanitize``: the password of SET PASSWORD and CREATE USER as ``[REDACTED]``."""
    for pattern in (_SET_PASSWORD, _WITH_PASSWORD):
        text = pattern.sub(lambda m: m.group(0)[:m.start(1) - m.start(0)] + "[REDACTED]", text)
    return text


def redact_query(raw_query: str) -> str:
    """A URL's query string for the access log: ``p`` as ``[REDACTED]`` and passwords in ``q``
    sanitized, re-encoded with sorted keys as Go's ``Values.Encode`` (unchanged otherwise)."""
    pairs = parse_qsl(raw_query, keep_blank_values=True)
    changed = False
    out = []
    for k, v in pairs:
        if k == "p" and v:
            v, changed = "[REDACTED]", True
        elif k == "q":
            clean = sanitize_influxql(v)
            changed = changed or clean != v
            v = clean
        out.append((k, v))
    if not changed:
        return raw_query
    return urlencode(sorted(out, key=lambda kv: kv[0]))
