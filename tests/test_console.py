"""The terminal output: progress bars only on a terminal (never in logs or pipes), and the summary."""
from __future__ import annotations

from argparse import Namespace
from datetime import date

from incidentsearch.cli import console
from incidentsearch.config import load_all
from incidentsearch.live.listings import plan

from conftest import ROOT


def _tasks():
    outlets, incidents = load_all(ROOT / "outlets.yaml", ROOT / "queries")
    return plan(outlets, incidents[:1], since=date(2023, 5, 22), until=date(2023, 5, 23))


def test_bars_only_on_a_terminal_and_not_when_quiet_or_verbose(monkeypatch):
    tasks = _tasks()
    args = Namespace(quiet=False, verbose=False)
    monkeypatch.setattr(console.sys.stderr, "isatty", lambda: False, raising=False)
    assert console.progress(args, tasks) is None
    monkeypatch.setattr(console.sys.stderr, "isatty", lambda: True, raising=False)
    bars = console.progress(args, tasks)
    assert isinstance(bars, console.Bars)
    first = tasks[0].outlet.id
    planned = sum(t.outlet.id == first for t in tasks)
    bars.advance(tasks[0])
    row = bars.bars.tasks[bars.ids[first]]
    assert (row.completed, row.total) == (1, planned)
    assert console.progress(Namespace(quiet=True, verbose=False), tasks) is None
    assert console.progress(Namespace(quiet=False, verbose=True), tasks) is None
    assert console.progress(args, []) is None
