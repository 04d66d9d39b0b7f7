"""Posting one RFC 3161 request to a TSA over HTTP(S) (``urllib``): a timeout, system
proxies ignored for loopback, a size limit on the answer, and one-line errors."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.error
import urllib.parse
import urllib.request

from workstation.timestamps.tokens import MAX_RESPONSE, TimestampError

TIMEOUT = 30.0
CONTENT_TYPE = "application/timestamp-query"


def check_url(url: str) -> str:
    """The URL as given, refused unless it is http(s) with a host."""
    text = url.strip()
    refused = TimestampError(f"{url!r} is not an http:// or https:// URL of a TSA.")
    if not text or any(ch.isspace() or not ch.isprintable() for ch in text):
        raise refused
    try:  # a bad IPv6 literal or port raises ValueError
        parts = urllib.parse.urlsplit(text)
        _port = parts.port
    except ValueError:
        raise refused from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise refused
    if parts.username is not None or parts.password is not None:
        # it would be stored, audited and printed: a secret in the audit trail
        raise TimestampError("A TSA URL must not hold a user name or password.")
    return text


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def post(url: str, request: bytes, timeout: float = TIMEOUT) -> bytes:
    """The TSA's raw answer to ``request``; :class:`TimestampError` (one line) when
    offline, refused, timed out, an HTTP error or an oversized answer."""
    check_url(url)
    host = urllib.parse.urlsplit(url).hostname or ""
    handlers: list[urllib.request.BaseHandler] = []
    if _loopback(host):
        handlers.append(urllib.request.ProxyHandler({}))
    opener = urllib.request.build_opener(*handlers)
    req = urllib.request.Request(url, data=request, method="POST",
                                 headers={"Content-Type": CONTENT_TYPE,
                                          "Accept": "application/timestamp-reply"})
    try:
        with opener.open(req, timeout=timeout) as answer:
            body = answer.read(MAX_RESPONSE + 1)
    except urllib.error.HTTPError as exc:
        raise TimestampError(f"{url}: HTTP error {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise TimestampError(f"{url}: {_reason(exc.reason)}") from None
    except TimeoutError:
        raise TimestampError(f"{url}: no answer within {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as exc:
        raise TimestampError(f"{url}: {_reason(exc)}") from None
    if len(body) > MAX_RESPONSE:
        raise TimestampError(f"{url}: the answer is larger than {MAX_RESPONSE // 1024} KiB; "
                             "not a time-stamp response")
    if not body:
        raise TimestampError(f"{url}: empty answer (bad response)")
    return body


def _reason(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (is the TSA's address right?)"
    if isinstance(reason, socket.gaierror):
        return "offline or unknown host (the name could not be resolved)"
    if isinstance(reason, TimeoutError | socket.timeout):
        return "no answer (timed out)"
    if isinstance(reason, OSError) and reason.strerror:
        return f"network error: {reason.strerror}"
    return f"network error: {' '.join(str(reason).split())[:160]}"  # one line
