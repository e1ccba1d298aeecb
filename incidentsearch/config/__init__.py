"""The configs: outlets.yaml, queries/*.yaml and queries/glossary.yaml.

- ``models``   the pydantic models of outlets, incidents and the glossary (unknown keys rejected)
- ``sources``  one model per source kind (``kind:`` rss ... telegram) and ``Source``, their union
- ``base``     the strict base model, the id pattern, languages, URL template placeholders
- ``load``     reading YAML into the models; every problem one line ``file: path: message``
- ``lint``     warnings for incidents that load but will match badly (``validate``)

Every public name is re-exported here: ``from incidentsearch.config import Incident`` works.
"""
from .base import ID_RE, LANGS, PLACEHOLDERS, Strict, date_step, template_fields
from .load import ConfigError, incident_files, load_all, load_glossary, load_incident, load_incidents, load_outlets
from .models import Defaults, Glossary, Incident, Outlet, OutletsFile, Texts, Title, Window
from .sources import (KINDS, TELEGRAM_USERNAME, GdeltSource, GoogleNewsSource, HtmlSearchSource, JsonSearchSource,
                      RssSource, SitemapSource, Source, TelegramSource, WaybackSource)

__all__ = [
    "ID_RE", "KINDS", "LANGS", "PLACEHOLDERS", "TELEGRAM_USERNAME", "ConfigError", "Defaults", "GdeltSource",
    "Glossary", "GoogleNewsSource", "HtmlSearchSource", "Incident", "JsonSearchSource", "Outlet",
    "OutletsFile", "RssSource", "SitemapSource", "Source", "Strict", "TelegramSource", "Texts", "Title",
    "WaybackSource", "Window", "date_step", "incident_files", "load_all", "load_glossary", "load_incident",
    "load_incidents", "load_outlets", "template_fields",
]
