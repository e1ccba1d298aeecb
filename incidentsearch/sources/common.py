"""Helpers shared by the source kinds: text clean-up, URLs (and query strings), bodies.

Everything here is pure (no I/O) and never raises anything but ParseError.
"""
from __future__ import annotations

import html
import re
import warnings
import zlib
from urllib.parse import quote, unquote, urlencode, urljoin, urlsplit

from . import ParseError

MAX_DECOMPRESSED = 50 * 1024 * 1024      # a gzip body larger than this once inflated is refused
SUMMARY_CHARS = 500

_WS = re.compile(r"\s+")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_TAG = re.compile(r"<[A-Za-z!/]")
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", re.I)
_XML_DECL_TEXT = re.compile(r"^(\s*<\?xml[^>]*?)\s+encoding\s*=\s*[\"'][^\"']*[\"']", re.I)
_HTML_HINT = re.compile(r"<(?:!doctype\s+html|html|head|body|div|p|a|ul|li|table|span|script|article|section)\b",
                        re.I)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def collapse(s: str | None) -> str:
    """Whitespace runs (incl. newlines, NBSP) -> one space; stripped."""
    return _WS.sub(" ", s or "").strip()


def unescape(s: str) -> str:
    """Decode HTML entities left in a plain-text value (double-escaped feeds: ``&amp;quot;``)."""
    return html.unescape(s) if _ENTITY.search(s) else s


def html_to_text(s: str | None, sep: str = "") -> str:
    """Plain text of an HTML fragment: tags stripped, entities decoded, whitespace collapsed.

    ``sep`` is put between text nodes ("" for headlines, " " for summaries)."""
    if not s:
        return ""
    if _TAG.search(s):
        from bs4 import BeautifulSoup
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                s = BeautifulSoup(s, "html.parser").get_text(sep)
            except Exception:                      # html.parser gives up on odd markup
                s = re.sub(r"<[^>]*>", sep, s)
                s = unescape(s)
    else:
        s = unescape(s)
    return collapse(s)


def clean_title(s: str | None, is_html: bool = False) -> str:
    """A headline as published: HTML stripped if it is HTML, entities decoded, whitespace collapsed."""
    if not s:
        return ""
    return html_to_text(s) if is_html or _TAG.search(s) and "</" in s else collapse(unescape(s))


def summary_text(s: str | None, is_html: bool = True) -> str | None:
    """Plain-text summary, cut at about SUMMARY_CHARS on a word boundary; None when empty."""
    t = html_to_text(s, " ") if is_html else collapse(unescape(s or ""))
    if not t:
        return None
    if len(t) > SUMMARY_CHARS:
        cut = t[:SUMMARY_CHARS]
        sp = cut.rfind(" ")
        t = (cut[:sp] if sp > SUMMARY_CHARS * 0.8 else cut).rstrip() + "…"
    return t


def base_url(response) -> str:
    return response.final_url or response.url or ""


_PLAIN_ABS = re.compile(r"^https?://[A-Za-z0-9.-]+(?::\d{1,5})?(?:[/?#][^\s\\]*)?$")


def join_query(endpoint: str, params) -> str:
    """``endpoint`` + ``?`` (``&`` when it has a query already) + the encoded ``params`` (pairs;
    spaces as %20, ':' ',' '/' kept)."""
    qs = urlencode(params, quote_via=quote, safe=":,/")
    return endpoint + ("&" if "?" in endpoint else "?") + qs


def absolute(url: str | None, base: str | None) -> str | None:
    """An absolute http(s) URL, or None (javascript:, mailto:, empty, unparsable)."""
    url = collapse(url)
    if not url:
        return None
    if _PLAIN_ABS.match(url):                       # already absolute and plain: the common case
        return url
    if url.startswith("/") and not url.startswith("//") and "/." not in url and base and _PLAIN_ABS.match(base):
        joined = base[:base.index("/", base.index("//") + 2)] if base.count("/") > 2 else base
        joined += url                               # root-relative: the base's scheme and host + path
        if _PLAIN_ABS.match(joined):
            return joined
    try:
        out = urljoin(base or "", url) if base else url
        parts = urlsplit(out)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:   # urlsplit lower-cases the scheme
        return None
    return parts.scheme + out[len(parts.scheme):]  # "Https://x" -> "https://x"


def maybe_gunzip(data: bytes, limit: int = MAX_DECOMPRESSED) -> bytes:
    """Inflate a gzip body (magic 1f 8b), refusing more than ``limit`` bytes; other bodies unchanged."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error as e:
        raise ParseError(f"corrupt gzip body: {e}") from None
    if len(out) > limit or d.unconsumed_tail:
        raise ParseError(f"gzip body inflates beyond {limit // (1024 * 1024)} MB")
    if not d.eof:
        raise ParseError("truncated gzip body")
    return out


def head_text(data: bytes, n: int = 2048) -> str:
    return data[:n].decode("utf-8", "replace").lstrip("\ufeff")


def looks_like_html(text: str) -> bool:
    """True when the start of a body reads like an HTML page rather than XML/JSON/text."""
    t = text.lstrip("\ufeff \t\r\n")[:4096]
    if re.match(r"(?is)(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html)\b", t):
        return True
    return bool(_HTML_HINT.match(t.lstrip()))


def describe(data: bytes) -> str:
    """A few words on what a body is, for ParseError messages."""
    if not data.strip():
        return "empty body"
    head = head_text(data)
    if looks_like_html(head):
        m = re.search(r"(?is)<title[^>]*>(.*?)</title>", head_text(data, 8192))
        title = collapse(html.unescape(m.group(1)))[:80] if m else ""
        return "HTML page" + (f" ({title!r})" if title else "")
    m = re.match(r"(?s)\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>\s*)*<([A-Za-z_][\w:.-]*)", head)
    if m:
        return f"XML with root <{m.group(1)}>"
    snippet = collapse(head[:60])
    return f"starts with {snippet!r}"


def body_bytes(response) -> bytes:
    """The raw body; when only ``text`` is given, its UTF-8 encoding."""
    if response.content:
        return response.content
    return (response.text or "").encode("utf-8")


def utf8_redeclared(text: str) -> bytes:
    """``text`` as UTF-8 bytes with any encoding declaration in the XML prolog dropped."""
    text = text.lstrip("\ufeff")
    text = _XML_DECL_TEXT.sub(r"\1", text, count=1)
    return text.encode("utf-8")


def xml_bytes(response, data: bytes | None = None) -> bytes:
    """Bytes an XML parser can decode on its own.

    Self-describing bodies (BOM, encoding declared in the prolog, valid UTF-8) are
    passed through. An undeclared non-UTF-8 body (undeclared Latin-1, windows-1251)
    would be mis-read by an XML parser, so the text the fetch package decoded is used instead,
    re-encoded as UTF-8.
    """
    if data is None:
        data = maybe_gunzip(response.content) if response.content else b""
    if not data:
        return utf8_redeclared(response.text) if response.text else b""
    if data.startswith(_BOMS):
        return data
    m = _XML_DECL.match(data[:1024])
    if m:
        enc = m.group(1).decode("ascii").lower()
        if _single_byte_label(enc) and not data.isascii():
            # a legacy single-byte prolog over bytes that are valid UTF-8 with multi-byte text is a
            # lie (a CMS template's prolog over a UTF-8 export): windows-1251 Cyrillic is
            # practically never valid UTF-8, and an XML parser would obey the prolog and garble it
            try:
                return utf8_redeclared(data.decode("utf-8"))
            except UnicodeDecodeError:
                pass
        try:
            data.decode(enc)
            return data
        except (LookupError, UnicodeDecodeError):
            pass                                   # the declaration lies: fall through
    else:
        try:
            data.decode("utf-8")
            return data
        except UnicodeDecodeError:
            pass
    if response.text and response.content and not response.content.startswith(b"\x1f\x8b"):
        return utf8_redeclared(response.text)
    return data


def _single_byte_label(label: str) -> bool:
    """True for a charset label naming a one-byte-per-character codec (windows-1251, koi8-r, latin-1)."""
    import codecs
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return False
    if name.startswith(("utf", "utf_")) or name in ("ascii",):
        return False
    try:
        return len(bytes(range(256)).decode(name, errors="replace")) == 256
    except (LookupError, UnicodeError, TypeError):
        return False


def body_text(response) -> str:
    """The body as text: the fetch package's decoding if any, else UTF-8 (BOM dropped, errors replaced)."""
    if response.text:
        return response.text.lstrip("\ufeff")
    return (response.content or b"").decode("utf-8-sig", "replace")


_EXT = re.compile(r"\.(?:s?html?|php\d?|aspx?|jsp|cgi|cms)$", re.I)


def slug_title(url: str) -> str:
    """A headline guessed from a URL's last wordy path segment:
    ``/2022/10/15/strelba-na-poligone/`` -> ``strelba na poligone``. "" if none."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return ""
    segs = [unquote(s) for s in path.split("/") if s]
    for seg in reversed(segs):
        seg = _EXT.sub("", seg)
        if seg.lower() in ("index", "amp", "default", "news", "article"):
            continue
        if any(ch.isalpha() for ch in seg):
            return collapse(re.sub(r"[-_+]+", " ", seg))
    return ""
