"""The command line: argument parsing and wiring (:mod:`.main`), and what a run prints (:mod:`.console`)."""
from .main import main

__all__ = ["main"]
