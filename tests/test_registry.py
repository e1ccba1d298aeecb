"""The registry of source kinds: one list of kinds, each declaring everything kind-specific."""
from __future__ import annotations

import ast
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

import incidentsearch.config as config
from incidentsearch import sources
from incidentsearch.config import Defaults, GdeltSource, GoogleNewsSource, OutletsFile, SitemapSource, WaybackSource
from incidentsearch.config.sources import SOURCE_MODELS
from incidentsearch.sources.registry import PROTOCOL, Kind

PACKAGE = Path(sources.__file__).resolve().parents[1]


def test_kinds_are_derived_once_from_the_config_models():
    assert sources.KINDS is config.KINDS
    assert config.KINDS == ("rss", "sitemap", "html_search", "json_search", "google_news", "gdelt", "wayback",
                            "telegram")
    import incidentsearch.config.base as base
    assert not hasattr(base, "KINDS")


@pytest.mark.parametrize("name", config.KINDS)
def test_every_kind_declares_the_whole_protocol(name):
    kind = sources.kind(name)
    assert isinstance(kind, Kind) and kind.name == name and kind.module is sources.module(name)
    assert all(n in vars(kind.module) for n in PROTOCOL)
    assert kind.config is dict(zip(config.KINDS, SOURCE_MODELS))[name]
    assert kind.config.model_fields["kind"].annotation.__args__ == (name,)


def test_unknown_kind():
    with pytest.raises(KeyError):
        sources.kind("ftp")
    with pytest.raises(KeyError):
        sources.module("ftp")


def test_caps_flags_probes_and_follow_limits():
    gn, gd = GoogleNewsSource(kind="google_news"), GdeltSource(kind="gdelt")
    wb = WaybackSource(kind="wayback", prefix="ria.ru/", max_snapshots=7)
    sm = SitemapSource(kind="sitemap", url="https://a.example/sitemap.xml")
    defaults = Defaults(max_children=11)
    assert sources.cap_of(gn) == 100 and sources.cap_of(gd) == 250 and sources.cap_of(wb) is None
    assert sources.cap_of(GoogleNewsSource(kind="google_news", cap=30)) == 30
    assert sources.cap_of(sm) is None
    assert [k for k in config.KINDS if sources.kind(k).newest_first] == ["telegram"]
    tg = OutletsFile.model_validate({"outlets": [{"id": "t", "name": "T", "lang": ["ru"], "sources": [
        {"kind": "telegram", "channel": "example_wire"}]}]}).outlets[0].sources[0]
    assert sources.kind("telegram").probe_url(tg) == "https://t.me/s/example_wire"
    assert sources.kind("rss").probe_url(sm) is None
    assert sources.kind("wayback").follow_limit(wb, defaults) == 7
    assert sources.kind("sitemap").follow_limit(sm, defaults) == 11
    assert sources.kind("sitemap").follow_limit(sm.model_copy(update={"max_children": 3}), defaults) == 3
    assert sources.kind("rss").follow_limit(sm, defaults) == 0
    # a template kind's request is its template filled in
    assert sources.build_url(sm.model_copy(update={"url": "https://a.example/{since:%Y-%m}.xml"}), query=None,
                             since=date(2022, 10, 1), until=date(2022, 10, 31)) == "https://a.example/2022-10.xml"


def test_config_does_not_import_sources():
    code = "import sys, incidentsearch.config; print('incidentsearch.sources' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_html_search_reads_the_selector_syntax_config_owns():
    from incidentsearch.config.sources import split_selector
    from incidentsearch.sources import html_search
    assert html_search.split_selector is split_selector


def _private_imports(path: Path) -> list[str]:
    """``from x import _name`` and ``module._name`` where ``module`` was imported: another
    module's private name (dunders and names of the module's own objects are not)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules, found = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for a in node.names:
                if a.name.startswith("_") and not a.name.startswith("__"):
                    found.append(f"{path.name}:{node.lineno} from {node.module or '.'} import {a.name}")
                else:
                    modules.add(a.asname or a.name)
        elif isinstance(node, ast.Import):
            modules.update((a.asname or a.name).split(".")[0] for a in node.names)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                and node.attr.startswith("_") and not node.attr.startswith("__")):
            found.append(f"{path.name}:{node.lineno} {node.value.id}.{node.attr}")
    return found


OWN = [*sorted((PACKAGE / "sources").glob("*.py")), PACKAGE / "config" / "sources.py",
       PACKAGE / "config" / "base.py", PACKAGE / "live" / "check.py", PACKAGE / "text" / "words.py",
       PACKAGE / "text" / "dates.py"]


@pytest.mark.parametrize("path", OWN, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_private_names_of_other_modules(path):
    assert _private_imports(path) == []


def test_kind_lookups_go_through_the_registry():
    for rel in ("live/check.py", "live/listings.py", "sources/__init__.py"):
        text = (PACKAGE / rel).read_text(encoding="utf-8")
        for old in ('"probe_url"', '"NEWEST_FIRST"', '"max_snapshots"', '"max_children"', '"CAP"',
                    'hasattr(mod, "build_url")'):
            assert old not in text, (rel, old)


def test_each_kind_names_the_site_its_outlet_publishes_under():
    """The archive scan attributes a page to an outlet by the site its sources name: every
    outlet of outlets.yaml whose own sources name a host gets its pages, aggregators none."""
    from incidentsearch.archive.scan import outlet_hosts
    from incidentsearch.config import load_outlets

    outlets = load_outlets(PACKAGE.parent / "outlets.yaml")
    hosts = outlet_hosts(outlets)
    named = 0
    for o in outlets.outlets:
        for s in o.sources:
            site = sources.kind(s.kind).site(s)
            if s.kind in ("gdelt", "telegram"):
                assert site is None, (o.id, s.kind)
            elif s.kind in ("rss", "sitemap", "html_search", "json_search"):
                assert site == s.url
                named += 1
    assert named and hosts.get("tass.ru") == "tass" and hosts.get("ria.ru") == "ria"
