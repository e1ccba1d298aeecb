"""Security properties that hold for the whole package, checked on its source and on a run:
YAML only through safe_load, TLS verification never turned off, XML without entities or
network, no outlet content executed, no cookies or credentials written anywhere."""
from __future__ import annotations

import ast
import gzip
import subprocess
import sys

from conftest import ROOT

PACKAGE = ROOT / "incidentsearch"
SOURCES = {p: p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py")}


def calls(name: str):
    """(file, line) of every call whose function is spelled ``name`` (attribute or bare)."""
    out = []
    for path, src in SOURCES.items():
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Call):
                f = node.func
                spelled = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
                if spelled == name:
                    out.append((path.name, node.lineno, node))
    return out


def test_yaml_only_through_safe_load():
    assert not calls("load") or all(
        not (isinstance(n.func, ast.Attribute) and getattr(n.func.value, "id", "") == "yaml")
        for _, _, n in calls("load"))
    assert not calls("full_load") and not calls("unsafe_load")
    assert calls("safe_load"), "the config is read with yaml.safe_load"


def test_tls_verification_is_never_turned_off():
    for path, src in SOURCES.items():
        tree = ast.parse(src)
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "verify":
                assert not (isinstance(node.value, ast.Constant) and node.value.value is False), path
            if isinstance(node, ast.Attribute) and node.attr == "verify" and isinstance(
                    getattr(node, "ctx", None), ast.Store):
                raise AssertionError(f"{path}: session.verify assigned")


NETWORK_ROOTS = {"requests", "requests_cache", "urllib3", "socket", "ssl", "aiohttp", "httpx"}
NETWORK_MODULES = {"http.client", "urllib.request"}


def test_only_the_net_package_touches_the_network():
    """DESIGN's rule: network code lives in incidentsearch/net/ only; parsers, the matcher, the
    archive scan and everything else get bytes from it. Every import is checked, lazy ones too."""
    net = PACKAGE / "net"
    offenders = []
    for path, src in SOURCES.items():
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            if any(n in NETWORK_MODULES or n.split(".")[0] in NETWORK_ROOTS for n in names) \
                    and net not in path.parents:
                offenders.append((path.relative_to(PACKAGE).as_posix(), node.lineno, names[0]))
    assert offenders == []
    assert any(net in p.parents for p in SOURCES), "the net package exists"


def test_no_outlet_content_is_executed():
    for name in ("eval", "exec", "compile", "__import__"):
        assert [c for c in calls(name) if not isinstance(c[2].func, ast.Attribute)] == [], name
    for path, src in SOURCES.items():
        assert "pickle" not in src and "marshal" not in src, path
        assert "shell=True" not in src, path


def test_xml_is_parsed_without_entities_or_network():
    parsers = calls("XMLParser")
    assert parsers, "sitemaps are parsed with an explicit lxml XMLParser"
    for path, line, node in parsers:
        kw = {k.arg: getattr(k.value, "value", None) for k in node.keywords}
        assert kw.get("resolve_entities") is False and kw.get("no_network") is True, (path, line)
        assert kw.get("load_dtd") is False and kw.get("huge_tree") is False, (path, line)


def test_no_cookies_or_credentials_reach_results_or_warc(tmp_path, httpserver, guarded_env):
    feed = ("<?xml version='1.0'?><rss version='2.0'><channel><title>t</title><item>"
            "<title>На полигоне под Белгородом произошел теракт, погибли 11 военнослужащих</title>"
            "<link>{base}/a/1</link><pubDate>Sun, 16 Oct 2022 10:00:00 +0300</pubDate></item></channel></rss>")
    base = httpserver.url_for("").rstrip("/")
    secret = "sessionid=TOPSECRET-COOKIE-VALUE"
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/rss").respond_with_data(feed.format(base=base), content_type="application/rss+xml",
                                                        headers={"Set-Cookie": secret + "; Path=/"})
    httpserver.expect_request("/a/1").respond_with_data(
        "<html><head><title>Теракт на полигоне</title></head><body><p>" + "Текст статьи. " * 40 + "</p></body></html>",
        content_type="text/html; charset=utf-8", headers={"Set-Cookie": secret})
    outlets = tmp_path / "outlets.yaml"
    outlets.write_text(f"defaults: {{rate_limit_s: 0, retries: 0}}\noutlets:\n  - id: local\n    name: L\n"
                       f"    lang: [ru]\n    sources:\n      - {{kind: rss, url: '{base}/rss'}}\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, str(ROOT / "search.py"), "--outlets", str(outlets), "--queries",
                           str(ROOT / "queries"), "--results", str(tmp_path / "results"), "--incident", "soloti-2022",
                           "--no-cache"], cwd=tmp_path, env=guarded_env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    written = [p for p in (tmp_path / "results").rglob("*") if p.is_file()]
    assert any(p.name == "raw.warc.gz" for p in written) and any(p.suffix == ".html" for p in written)
    for p in written:
        data = p.read_bytes()
        if p.name.endswith(".gz"):
            data = gzip.decompress(data)
        assert b"TOPSECRET" not in data, p
        assert b"Set-Cookie" not in data and b"Authorization" not in data, p
    # the cookie the server set is not sent back either
    assert all("Cookie" not in e[0].headers for e in httpserver.log)
