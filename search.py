#!/usr/bin/env python3
"""Entry point: python search.py --help"""
import sys

from incidentsearch.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
