"""Canonical URLs: the store's identity of a hit.

``canonical_url`` reduces a link to the form every listing of the same article
shares: redirect wrappers (Google, Bing, Yandex Turbo, the AMP caches, Facebook
and VK exit links) unwrapped, AMP and mobile variants folded into the desktop URL,
tracking parameters dropped. It is idempotent.
"""
from __future__ import annotations

import base64
import re
from contextlib import suppress
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

_TRACK_PREFIXES = ("utm_",)
_TRACK_NAMES = {"fbclid", "gclid", "yclid", "mc_cid", "mc_eid", "ref_src", "cmp", "maca", "rss",
                "_openstat", "ncid", "ocid", "igshid", "mkt_tok", "amp", "amp_js_v", "usqp"}
_MOBILE_PREFIXES = ("www.", "m.", "mobile.", "amp.")
_GOOGLE = re.compile(r"(?:news\.)?google\.(?:com?\.)?[a-z]{2,3}")
_YANDEX = re.compile(r"yandex\.(?:ru|com|ua|by|kz|com\.tr)")
_AMP_CACHE = re.compile(r"/[a-z]{1,2}/(s/)?([^/]+\.[^/]+/?.*)")


# ------------------------------------------------------------------ canonical URLs
def _target(url: str) -> str | None:
    """The URL a redirect link or a cached/proxied copy stands for, if ``url`` is one."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path
    q = dict(parse_qsl(parts.query, keep_blank_values=True))
    out = None
    if _GOOGLE.fullmatch(host):
        if path in ("/url", "/news/url"):
            out = q.get("q") or q.get("url")
        elif path.startswith("/amp/s/"):                          # the Google AMP viewer
            out = "https://" + path[7:]
    elif host.endswith("bing.com") and path == "/ck/a" and q.get("u", "").startswith("a1"):
        try:
            b = q["u"][2:]
            out = base64.urlsafe_b64decode(b + "=" * (-len(b) % 4)).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            out = None
    elif _YANDEX.fullmatch(host) and (path == "/turbo" or path.startswith("/turbo/")):
        rest = path[len("/turbo/"):]
        if q.get("text", "").startswith(("http://", "https://")):
            out = q["text"]
        elif rest.startswith("s/"):                               # /turbo/s/<host>/<path>
            out = "https://" + rest[2:]
        elif "/s/" in rest:                                       # /turbo/<host>/s/<path>
            h, tail = rest.split("/s/", 1)
            out = f"https://{h}/{tail}"
    elif host.endswith(".turbopages.org") and "/s/" in path:      # <x>.turbopages.org/<host>/s/<path>
        h, tail = path.lstrip("/").split("/s/", 1)
        out = f"https://{h}/{tail}"
    elif host.endswith(".cdn.ampproject.org") and (m := _AMP_CACHE.fullmatch(path)):
        out = ("https://" if m.group(1) else "http://") + m.group(2)
    elif host in ("l.facebook.com", "lm.facebook.com") and path == "/l.php":
        out = q.get("u")
    elif host in ("vk.com", "away.vk.com", "m.vk.com") and path == "/away.php":
        out = q.get("to")
    if out and re.match(r"https?://[^/?#\s]+\.[^/?#\s]", out.strip(), re.I):
        return out.strip()
    return None


def _amp_path(path: str) -> str:
    segs = [s for s in path.split("/") if s.lower() != "amp"]
    last = segs[-1] if segs else ""
    if last.lower() == "index.amp":
        segs[-1] = ""
    else:
        last = re.sub(r"(?i)(?:[._-]amp)+(\.s?html?)$", r"\1", last)
        segs[-1:] = [re.sub(r"(?i)(?:\.amp)+$", "", last)] if segs else []
    return "/".join(segs)


def _once(url: str) -> str:
    raw = (url or "").strip()
    try:
        parts = urlsplit(raw)
        if not parts.netloc:
            return raw
        inner = _target(raw)
        if inner:
            return inner
        scheme = parts.scheme.lower()
        if scheme == "http":
            scheme = "https"
        host = (parts.hostname or "").lower().rstrip(".")
        with suppress(UnicodeError):
            host = host if host.isascii() else host.encode("idna").decode("ascii")
        while host.startswith("www.") or (host.startswith(_MOBILE_PREFIXES) and host.count(".") >= 2):
            host = host.split(".", 1)[1]                          # m.lenta.ru -> lenta.ru, not m.ru -> ru
        if ":" in host:
            host = f"[{host}]"
        port = parts.port
    except ValueError:
        return raw
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = quote(_amp_path(parts.path or "/"), safe="/%:@!$&'()*+,;=~")
    path = re.sub(r"%[0-9a-f]{2}", lambda m: m.group().upper(), path)
    path = path.rstrip("/") or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in _TRACK_NAMES and not k.lower().startswith(_TRACK_PREFIXES)
             and not (k.lower() == "outputtype" and v.lower() == "amp")]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, https for http, no fragment, no default port,
    no tracking parameters (utm_*, fbclid, ...), no trailing slash on the path
    unless it is the root, remaining query parameters sorted; redirect links
    unwrapped (repeatedly), AMP and mobile (m., mobile., amp.) variants folded into
    the plain URL. news.google.com/rss/articles links stay as they are."""
    cur = (url or "").strip()
    for _ in range(8):                                            # unwrapping may nest
        nxt = _once(cur)
        if nxt == cur:
            break
        cur = nxt
    return cur
