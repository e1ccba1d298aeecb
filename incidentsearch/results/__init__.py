"""The dated results folder, ``results/YYYY-MM-DD/<incident>/``, and everything in it.

- ``folder``    the folder: the only writer of its files (hits, pending headlines, articles,
                hits.csv, clusters.json, run.json), crash-safe
- ``warc``      the WARC recording of every HTTP exchange (``raw.warc.gz``)
- ``clusters``  syndication clusters and wire credit lines
- ``finish``    an incident's folder finished after a run: run.json, clusters, hits.csv, dossier
- ``dossier``   the self-contained report.html (Jinja2 templates under ``templates/``), with
                ``dossier_view`` (the page as data) and ``dossier_words`` (dates, languages and
                evidence in words)
"""
