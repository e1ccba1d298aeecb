"""incidentsearch: find every news report of a known military incident.

The Python API (the command line, ``python search.py``, runs the same)::

    import incidentsearch
    run = incidentsearch.search(incident="soloti-2022")
    for hit in run.hits:                       # the hits.jsonl fields, as attributes
        print(hit.published, hit.outlet, hit.title, hit.url)
    pandas.DataFrame(run.hits)                 # or pandas.read_json(run.folder_of("soloti-2022") / "hits.jsonl", lines=True)

- :func:`search`: the live search (outlets' feeds, sitemaps, search pages, aggregators), then
  each hit's page; returns a :class:`Run` (``.hits``, ``.folder``, ``.failures``, ``.code``).
- :func:`scan_archive`: the same matching over WARC files / CC-NEWS.
- :func:`load_incidents`, :func:`load_outlets`: the configs, validated (``ConfigError``).
- :class:`Matcher`: the matcher itself; ``Matcher.from_folder("queries").explain(title, ...)``
  says why a headline is or is not a report of an incident.

The names load on first use, so ``import incidentsearch`` stays cheap.
"""
__version__ = "0.1.0"

__all__ = ["ConfigError", "Hit", "Matcher", "Run", "SelectionError", "load_incidents", "load_outlets",
           "scan_archive", "search"]

_WHERE = {"search": "api", "scan_archive": "api", "load_incidents": "api", "load_outlets": "api", "Run": "api",
          "SelectionError": "api", "ConfigError": "api", "Hit": "records", "Matcher": "match"}


def __getattr__(name: str):
    if name in _WHERE:
        import importlib

        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'incidentsearch' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
