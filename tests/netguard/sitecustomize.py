"""Loaded by Python at start-up when this folder is on PYTHONPATH (CLI subprocesses in tests)."""
import os

if os.environ.get("INCIDENTSEARCH_NETGUARD") == "1":
    import netguard

    netguard.install()
