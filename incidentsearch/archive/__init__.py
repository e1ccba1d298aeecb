"""Scanning web archives (WARC files, CC-NEWS) with the live search's matcher.

- ``locations``  ``--archive`` arguments to WARC file locations
- ``prefilter``  one byte-level pass per page: does it name any alias at all?
- ``scan``       one WARC file to hits and their pages: a pure task for a pool or a Dask worker
- ``driver``     the tasks on a local pool or a Dask cluster; the results written in file order
"""
