"""Constants and pure helpers of the net package: retry statuses, ``Retry-After`` and
HTTP dates, the scheme+host+port key of a URL, redirect targets. No I/O."""
from __future__ import annotations

import email.utils
import logging
import time
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

from requests.utils import requote_uri

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_STATUSES = frozenset({429, 503})
MAX_REDIRECTS = 10


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = http_date(value)
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def http_date(value: str | None) -> datetime | None:
    """An HTTP date header (``Date``, ``Last-Modified``) as an aware UTC datetime, or None."""
    if not value:
        return None
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def host_key(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL: what politeness, robots.txt and "host down" are kept per."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def redirect_url(base: str, location: str) -> str:
    """The absolute URL a Location header points to (as requests resolves it)."""
    if location.startswith("//"):
        location = f"{urlsplit(base).scheme}:{location}"
    try:
        if not urlsplit(location).netloc:
            return urljoin(base, requote_uri(location))
        return requote_uri(location)
    except ValueError:
        return ""
