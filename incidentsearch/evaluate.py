"""``python -m incidentsearch.evaluate``: the matcher measured on labelled headlines
(the code is ``incidentsearch.match.evaluate``)."""
import sys

from .match.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
