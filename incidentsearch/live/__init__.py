"""The live search: from the configs to hits, article pages and finished folders. (Named
``live``, not ``search``, so that ``incidentsearch.search`` stays the API's function.)

- ``setup``     what a run needs before its first request (the chosen incidents and outlets,
                the fetcher, the results folder checked); shared by the CLI and the API
- ``plan``      the tasks: which source is asked which query over which window
- ``listings``  the listing search: tasks sent, answers parsed, headlines dated and matched
- ``resolve``   Google News links to the publishers' URLs
- ``articles``  each hit's page (or its Wayback copy), reduced to text
- ``job``       one run end to end: listings, the article stage, each folder finished
- ``check``     outlet health: one small real query per source
"""
