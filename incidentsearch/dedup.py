"""Canonical URLs (the store's identity of a hit).

Near-duplicate and syndication clusters come with the article stage; for now a
URL is reduced to the form that two listings of the same article share.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACK_PREFIXES = ("utm_",)
_TRACK_NAMES = {"fbclid", "gclid", "yclid", "mc_cid", "mc_eid", "ref_src", "cmp", "maca", "rss"}


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, https for http, no fragment, no default port,
    no tracking parameters (utm_*, fbclid, ...), no trailing slash on the path
    unless it is the root, remaining query parameters sorted."""
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        return (url or "").strip()
    if not parts.netloc:
        return (url or "").strip()
    scheme = parts.scheme.lower()
    if scheme == "http":
        scheme = "https"
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in _TRACK_NAMES and not k.lower().startswith(_TRACK_PREFIXES)]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))
