"""What the config modules share: the id pattern, languages, URL template placeholders,
the strict pydantic base model and the validators more than one model uses. (The source
kinds, ``KINDS``, are derived from their models in :mod:`.sources`.)
Imports nothing of the package, so :mod:`incidentsearch.config` and :mod:`.sources` can both use it."""
from __future__ import annotations

import string
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict

ID_RE = r"^[a-z0-9][a-z0-9-]*$"
LANGS = ("ru", "en", "uk")
PLACEHOLDERS = {"query", "since", "until", "page", "offset"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def template_fields(url: str) -> set[str]:
    """The placeholder names in a URL template; raises ValueError on bad syntax."""
    names = set()
    for _, name, spec, conv in string.Formatter().parse(url):
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            raise ValueError(f"unknown placeholder {{{name}}} in URL template; allowed: "
                             + ", ".join("{%s}" % p for p in sorted(PLACEHOLDERS)))
        if conv:
            raise ValueError(f"conversion !{conv} not allowed in {{{name}}}")
        if spec and name not in ("since", "until"):
            raise ValueError(f"format spec only allowed on {{since}}/{{until}}, not {{{name}}}")
        names.add(name)
    return names


def date_step(url: str) -> str | None:
    """For a template that names {since} but not {until} (one file or page per day,
    month or year: ``map_art_{since:%Y-%m}-01.xml``), the step that walks a window:
    'day', 'month' or 'year'. None when the template takes a range or no date."""
    specs = {name: spec for _, name, spec, _ in string.Formatter().parse(url) if name}
    if "since" not in specs or "until" in specs:
        return None
    spec = specs["since"] or "%Y-%m-%d"
    if any(d in spec for d in ("%d", "%j", "%s", "%a", "%A")):
        return "day"
    if any(m in spec for m in ("%m", "%b", "%B")):
        return "month"
    return "year"


def check_tz(v: str | None) -> str | None:
    """A time zone name the zoneinfo database knows (None passes); ValueError otherwise."""
    if v is None:
        return v
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {v!r}")
    return v


