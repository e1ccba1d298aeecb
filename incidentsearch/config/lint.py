"""Warnings for incident files that load but will match badly (``validate``; never an error).

- An alias (a place or an actor) too generic to identify an incident: one that names the
  armed forces or a ministry that speaks of every incident (``ВСУ``, ``Минобороны``: with
  one of them five dev-set non-reports became hits), one that another incident lists among
  its ``regions`` (broad areas that only give context), or a word of a glossary concept
  (an event word, not a name).
- Descriptions in one language only: the matcher compares a headline with the descriptions
  of its own language, so reports in the other language are found by names alone.

Each warning is one line ``file: path: warning: message``.
"""
from __future__ import annotations

from pathlib import Path

from . import Glossary, Incident

# Names of the sides' armed forces and ministries: every report of the war names them. Kept as
# the glossary's default; a glossary may list more under `generic:` (see queries/README.md).
GENERIC = {
    "ru": ["ВСУ", "ВС РФ", "ВС России", "ВС Украины", "Минобороны", "Министерство обороны", "МО РФ", "армия",
           "российская армия", "украинская армия", "Вооруженные силы", "Вооружённые силы", "военные", "Кремль",
           "Украина", "Россия", "Киев", "Москва"],
    "en": ["AFU", "Ukrainian army", "Russian army", "Ukrainian forces", "Russian forces", "armed forces",
           "defence ministry", "defense ministry", "Ministry of Defence", "Ministry of Defense", "MoD", "Kremlin",
           "Ukraine", "Russia", "Kyiv", "Kiev", "Moscow", "military"],
}


def _key(s: str) -> str:
    return " ".join(str(s).casefold().replace("ё", "е").split())


def lint(files: dict[Path, Incident], glossary: Glossary | None) -> list[str]:
    """Warning lines for the incidents of one queries folder (``files``: path -> incident)."""
    generic = {_key(w) for ws in GENERIC.values() for w in ws}
    extra = getattr(glossary, "generic", None) if glossary is not None else None
    if extra:
        generic |= {_key(w) for lang in ("en", "ru", "uk") for w in extra.get(lang)}
    concept_words = {}
    if glossary is not None:
        for name, texts in glossary.concepts.items():
            for lang in ("en", "ru", "uk"):
                for w in texts.get(lang):
                    concept_words.setdefault(_key(w), name)
    regions_of: dict[str, list[str]] = {}
    for inc in files.values():
        for r in inc.regions:
            regions_of.setdefault(_key(r), []).append(inc.id)
    out = []
    for path, inc in files.items():
        for field in ("places", "actors"):
            for n, alias in enumerate(getattr(inc, field)):
                k = _key(alias)
                where = f"{path}: {field}[{n}]: warning:"
                others = [i for i in regions_of.get(k, []) if i != inc.id]
                if k in generic:
                    out.append(f"{where} {alias!r} is too generic to identify an incident (every report of the "
                               "war names it); as an alias it makes hits of unrelated reports")
                elif others:
                    out.append(f"{where} {alias!r} is a broad region of {', '.join(others)}, context only there; "
                               f"list it under regions: here too, or name something only this incident has")
                elif k in concept_words:
                    out.append(f"{where} {alias!r} is a word of the glossary's concept {concept_words[k]!r}, "
                               f"an event word, not a name: list the concept under events: instead")
        langs = [lang for lang in ("en", "ru") if inc.descriptions.get(lang)]
        if len(langs) == 1:
            missing = "en" if langs == ["ru"] else "ru"
            out.append(f"{path}: descriptions.{missing}: warning: no {missing} descriptions; reports in that "
                       f"language are matched on names alone (add one or two one-line descriptions)")
    return out
