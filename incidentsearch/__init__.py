"""incidentsearch: find every news report of a known military incident."""
__version__ = "0.1.0"
