"""decode_body: charset evidence order and the real-world traps, without HTTP."""
from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from incidentsearch.text.charset import charset_from_content_type, decode_body, normalize_encoding
from incidentsearch.net import decode_body as decode_body_from_fetch

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURES = SHARED / "fixtures"

RU = "Стрельба на полигоне в Белгородской области: погибли 11 человек, ещё 15 ранены"
PT = "Últimas Notícias: ação policial em São Paulo é destaque; polícia não comenta"


def fixture_bytes(rel: str) -> bytes:
    if not FIXTURES.is_dir():
        pytest.skip("../shared/fixtures not present: real fixtures are read from there")
    return (FIXTURES / rel).read_bytes()


def ru_headlines(n: int = 20) -> list[str]:
    path = SHARED / "eval" / "dev_headlines.jsonl"
    if not path.exists():
        pytest.skip("../shared/eval not present: real headlines are read from there")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["headline"] for r in rows if r.get("lang") == "ru"][:n]


def test_fetch_reexports_decode_body():
    assert decode_body_from_fetch is decode_body


def test_pravda_cp1251_from_xml_prolog():
    text, enc = decode_body(fixture_bytes("feeds/pravda.com.ua_rss_rus_cp1251.xml"), "application/rss+xml")
    assert enc == "cp1251"
    assert "<title>Украинская правда</title>" in text and "\ufffd" not in text


def test_uol_undeclared_latin1():
    data = fixture_bytes("feeds/noticias.uol.com.br_rss_noencoding.xml")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text, enc = decode_body(data, "application/rss+xml")
    assert enc == "cp1252"
    assert "Últimas Notícias" in text and "\ufffd" not in text


def test_interfax_meta_cp1251_but_utf8_bytes():
    data = fixture_bytes("listings/interfax.ru_homepage_2018.html")
    assert b"charset=windows-1251" in data
    for ctype in ("text/html", "text/html; charset=windows-1251", None):
        text, enc = decode_body(data, ctype)
        assert enc == "utf-8"
        assert "<title>Интерфакс: новости</title>" in text


def test_undeclared_cp1251_russian_headlines():
    heads = ru_headlines()
    body = ("<html><body>" + "\n".join(f"<p>{h}</p>" for h in heads) + "</body></html>").encode("cp1251")
    text, enc = decode_body(body, "text/html")
    assert enc == "cp1251"
    assert all(h in text for h in heads)


def test_undeclared_single_short_cp1251_line():
    text, enc = decode_body(RU.encode("cp1251"), None)
    assert (text, enc) == (RU, "cp1251")


def test_undeclared_koi8r():
    text, enc = decode_body(RU.encode("koi8-r"), "text/plain")
    assert (text, enc) == (RU, "koi8-r")


def test_undeclared_cp1252_portuguese():
    text, enc = decode_body(PT.encode("cp1252"), "text/html")
    assert (text, enc) == (PT, "cp1252")


def test_header_charset_wins_over_meta():
    body = f'<html><head><meta charset="utf-8"></head><body>{RU}</body></html>'.encode("cp1251")
    text, enc = decode_body(body, "text/html; charset=windows-1251")
    assert enc == "cp1251" and RU in text


def test_meta_http_equiv_charset():
    body = (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'
            f"</head><body>{RU}</body></html>").encode("koi8-r")
    text, enc = decode_body(body, "text/html")
    assert enc == "koi8-r" and RU in text


def test_bom_wins_over_everything():
    body = codecs.BOM_UTF8 + f'<?xml version="1.0" encoding="windows-1251"?><t>{RU}</t>'.encode("utf-8")
    text, enc = decode_body(body, "text/xml; charset=windows-1251")
    assert enc == "utf-8" and RU in text and not text.startswith("\ufeff")
    text, enc = decode_body(codecs.BOM_UTF16_LE + RU.encode("utf-16-le"), None)
    assert (text, enc) == (RU, "utf-16-le")


def test_declared_utf8_that_is_really_cp1251():
    body = f'<html><head><meta charset="utf-8"></head><body>{RU}</body></html>'.encode("cp1251")
    text, enc = decode_body(body, "text/html")
    assert enc == "cp1251" and RU in text


def test_declared_utf8_with_one_bad_byte_stays_utf8():
    body = RU.encode("utf-8") + b"\xff" + RU.encode("utf-8")
    text, enc = decode_body(body, "text/plain; charset=utf-8")
    assert enc == "utf-8" and text.count(RU) == 2 and "\ufffd" in text


def test_declared_latin1_means_windows_1252():
    text, enc = decode_body("“quoted” – café".encode("cp1252"), "text/html; charset=ISO-8859-1")
    assert (text, enc) == ("“quoted” – café", "cp1252")


def test_plain_ascii_and_empty():
    assert decode_body(b"hello", None) == ("hello", "utf-8")
    assert decode_body(b"", "text/html; charset=windows-1251") == ("", "cp1251")
    assert decode_body(b"", None) == ("", "utf-8")


def test_unknown_declared_charset_falls_through():
    text, enc = decode_body(RU.encode("utf-8"), "text/html; charset=x-bogus-42")
    assert (text, enc) == (RU, "utf-8")


def test_helpers():
    assert normalize_encoding("Windows-1251") == "cp1251"
    assert normalize_encoding("latin1") == "cp1252"
    assert normalize_encoding("nonsense") is None
    assert charset_from_content_type('text/html; charset="KOI8-R"') == "KOI8-R"
    assert charset_from_content_type("text/html") is None
