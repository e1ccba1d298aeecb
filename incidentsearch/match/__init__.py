"""Matching: which described incident a report is about.

- ``index``     the word-form index over the incidents' aliases, event words and figures
- ``features``  the table of features and how evidence becomes their values
- ``scoring``   one logistic scoring function; fitting; the shipped weights (weights.json)
- ``semantic``  the optional multilingual sentence encoder
- ``matcher``   the two stages: candidates, then verdicts (hit, read the page, or not)
- ``verdict``   the article stage: the page decides what the listing could not
- ``stream``    the matcher over millions of headlines on a process pool
- ``evaluate``  figures on labelled headlines, leave-one-incident-out cross-validation, fitting
"""
from ..records import Match
from .features import FEATURES
from .matcher import Matcher
from .stream import best_stream

__all__ = ["FEATURES", "Match", "Matcher", "best_stream"]
