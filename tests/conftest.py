"""Test-wide guard: no test may reach anything but this machine.

Every socket connect to an address outside the loopback range fails loudly,
so a parser or fetch test that would touch a public host errors instead.
Subprocess runs of the CLI get the same guard through sitecustomize (see
``guarded_env``).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
GUARD_DIR = Path(__file__).resolve().parent / "netguard"

sys.path.insert(0, str(GUARD_DIR))
import netguard  # noqa: E402

netguard.install()


def guarded_env_for(tmp: Path) -> dict[str, str]:
    """Environment for a subprocess of the CLI: the network guard preloaded,
    an empty HOME and cache under ``tmp``, nothing from the developer's machine."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(GUARD_DIR), str(ROOT), env.get("PYTHONPATH", "")])
    env["INCIDENTSEARCH_NETGUARD"] = "1"
    env["XDG_CACHE_HOME"] = str(tmp / "xdg-cache")
    env["HOME"] = str(tmp / "home")
    return env


@pytest.fixture
def guarded_env(tmp_path):
    return guarded_env_for(tmp_path)


def shared_or_skip(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared is not beside the repo ({path} missing): real fixtures are read from there")
    return path
