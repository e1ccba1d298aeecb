"""Turning response bytes into text: which charset, and why.

Pure functions, no I/O. The order of evidence is:

1. a byte-order mark;
2. the charset parameter of the Content-Type header;
3. for XML, the ``<?xml ... encoding="..."?>`` prolog;
4. for HTML, ``<meta charset>`` / ``<meta http-equiv="Content-Type">``;
5. strict UTF-8;
6. a heuristic for legacy single-byte text: Cyrillic (windows-1251, KOI8-R)
   against Western European (windows-1252), with charset_normalizer for the
   cases the heuristic cannot call.

A declared legacy single-byte charset (2-4) loses to UTF-8 when the bytes
are valid UTF-8 and contain multi-byte sequences: real pages (interfax.ru
2018) declare windows-1251 in a ``<meta>`` while serving UTF-8, whereas
genuine windows-1251 Cyrillic text is practically never valid UTF-8.
"""
from __future__ import annotations

import codecs
import functools
import logging
import re

log = logging.getLogger(__name__)

__all__ = ["decode_body", "normalize_encoding", "charset_from_content_type"]

_PRESCAN_BYTES = 16384          # <meta> is searched in the first 16 KiB (head of a page)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),   # before UTF-16 LE: same first two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# WHATWG Encoding Standard: these labels mean windows-1252 on the web.
_ALIASES = {
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
    "l1": "cp1252", "ascii": "cp1252", "us-ascii": "cp1252", "iso_8859-1": "cp1252",
    "x-cp1251": "cp1251", "win-1251": "cp1251", "windows1251": "cp1251", "cp-1251": "cp1251",
    "x-user-defined": "cp1252", "utf8": "utf-8", "unicode-1-1-utf-8": "utf-8",
}

_CT_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml\s[^>]*?encoding\s*=\s*["']\s*([A-Za-z0-9._:\-]+)""", re.I)
_META_CHARSET = re.compile(rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.I)
_BINARY_TYPES = re.compile(r"^\s*(image|audio|video|font)/|^\s*application/(octet-stream|pdf|zip|gzip|"
                           r"x-gzip|x-bzip2|x-xz|zstd|x-tar|vnd\.)", re.I)


def normalize_encoding(label: str | None) -> str | None:
    """A charset label as Python's canonical codec name, or None if unknown."""
    if not label:
        return None
    key = label.strip().strip("\"'").lower()
    key = _ALIASES.get(key, key)
    try:
        name = codecs.lookup(key).name
    except LookupError:
        return None
    # Python calls windows-1252 and ISO-8859-1 different things; the web does not.
    return "cp1252" if name in ("iso8859-1", "ascii") else name


def charset_from_content_type(content_type: str | None) -> str | None:
    """The raw charset parameter of a Content-Type value, if any."""
    if not content_type:
        return None
    m = _CT_CHARSET.search(content_type)
    return m.group(1) if m else None


def is_binary_type(content_type: str | None) -> bool:
    """True for media types whose body is not text (images, archives, PDF...)."""
    return bool(content_type and _BINARY_TYPES.search(content_type))


@functools.lru_cache(maxsize=64)
def _single_byte(encoding: str) -> bool:
    """True when ``encoding`` maps every byte to one character (cp1251, koi8-r, ...)."""
    try:
        return len(bytes(range(256)).decode(encoding, errors="replace")) == 256
    except LookupError:
        return False


def _strict_utf8(content: bytes) -> str | None:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _declared(content: bytes, content_type: str | None) -> tuple[str, str] | None:
    """(codec, where) for the first charset the response declares, or None."""
    enc = normalize_encoding(charset_from_content_type(content_type))
    if enc:
        return enc, "header"
    head = content[:_PRESCAN_BYTES]
    m = _XML_DECL.match(head)
    if m:
        enc = normalize_encoding(m.group(1).decode("ascii", "replace"))
        if enc:
            return enc, "xml prolog"
    elif not head.lstrip()[:5].lower().startswith(b"<?xml"):
        m = _META_CHARSET.search(head)
        if m:
            enc = normalize_encoding(m.group(1).decode("ascii", "replace"))
            # HTML spec: a <meta> claiming UTF-16/32 means UTF-8 (the <meta> itself was ASCII)
            if enc and enc.startswith(("utf-16", "utf-32")):
                enc = "utf-8"
            if enc:
                return enc, "meta"
    return None


def _guess_legacy(content: bytes) -> str:
    """Best single-byte codec for bytes that are not UTF-8.

    Cyrillic in windows-1251/KOI8-R is written in runs of high bytes (whole
    words), while accented Latin letters in windows-1252 sit alone between
    ASCII letters. Inside Cyrillic runs, Russian is mostly lower case, which is
    0xE0-0xFF in windows-1251 and 0xC0-0xDF in KOI8-R.
    """
    content = content[:262_144]     # a sample is enough, and keeps this loop fast
    high = paired = 0
    prev_high = False
    n = len(content)
    for i, b in enumerate(content):
        if b >= 0x80:
            high += 1
            if prev_high or (i + 1 < n and content[i + 1] >= 0x80):
                paired += 1
            prev_high = True
        else:
            prev_high = False
    if high == 0:
        return "cp1252"
    ratio = paired / high
    if ratio >= 0.6:
        low_1251 = sum(1 for b in content if b >= 0xE0)
        low_koi8 = sum(1 for b in content if 0xC0 <= b < 0xE0)
        return "cp1251" if low_1251 >= low_koi8 else "koi8-r"
    if ratio <= 0.3:
        return "cp1252"
    try:  # ambiguous: ask charset_normalizer, restricted to plausible codecs
        from charset_normalizer import from_bytes
        best = from_bytes(content[:200_000], cp_isolation=["cp1251", "cp1252", "koi8_r"]).best()
        if best is not None:
            return normalize_encoding(best.encoding) or "cp1252"
    except Exception:  # pragma: no cover - charset_normalizer is optional here
        log.debug("charset_normalizer failed", exc_info=True)
    return "cp1252"


def decode_body(content: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode a response body; return (text, codec name).

    Never raises on bad bytes: undecodable bytes become U+FFFD.
    """
    if not content:
        enc = normalize_encoding(charset_from_content_type(content_type)) or "utf-8"
        return "", enc
    for bom, enc in _BOMS:
        if content.startswith(bom):
            return content[len(bom):].decode(enc, errors="replace"), enc

    declared = _declared(content, content_type)
    if declared:
        enc, where = declared
        if enc == "utf-8":
            text = _strict_utf8(content)
            if text is not None:
                return text, "utf-8"
            # Declared UTF-8 but invalid: keep UTF-8 if most of it is UTF-8,
            # else the declaration is a lie (a cp1251 page with a template's meta).
            lossy = content.decode("utf-8", errors="replace")
            bad = lossy.count("\ufffd")
            good_multibyte = sum(1 for ch in lossy if ord(ch) > 0x7F and ch != "\ufffd")
            if good_multibyte >= bad:
                return lossy, "utf-8"
            log.debug("declared utf-8 (%s) but bytes are not UTF-8; guessing", where)
        elif _single_byte(enc) and not content.isascii():
            text = _strict_utf8(content)
            if text is not None:
                log.debug("declared %s (%s) but bytes are UTF-8 with multi-byte text; using utf-8",
                          enc, where)
                return text, "utf-8"
            return content.decode(enc, errors="replace"), enc
        else:
            return content.decode(enc, errors="replace"), enc
    else:
        text = _strict_utf8(content)
        if text is not None:
            return text, "utf-8"
    enc = _guess_legacy(content)
    return content.decode(enc, errors="replace"), enc
