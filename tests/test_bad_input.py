"""Bad input a new user gives: each ends with exit 2 and one line ``where: what is wrong``,
never a traceback (issue 14). Broken pipes end quietly. Result files follow the umask."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from incidentsearch.cli import main
from incidentsearch.config import ConfigError, load_incidents
from incidentsearch.results.folder import atomic_write

ROOT = Path(__file__).resolve().parents[1]


def queries_with(tmp_path: Path, old: str, new: str) -> Path:
    q = tmp_path / "queries"
    shutil.copytree(ROOT / "queries", q)
    f = q / "grayvoron-2023.yaml"
    text = f.read_text(encoding="utf-8")
    assert old in text
    f.write_text(text.replace(old, new, 1), encoding="utf-8")
    return q


def no_traceback(err: str) -> None:
    assert "Traceback" not in err and "Error:" not in err.split(":", 1)[0]


@pytest.mark.parametrize("bad, why", [("2023-02-30", "day is out of range for month"),
                                      ("2022-13-45", "month must be in 1..12")])
def test_impossible_date_is_one_line_exit_2(tmp_path, capsys, bad, why):
    q = queries_with(tmp_path, "date: 2023-05-22", f"date: {bad}")
    line = (q / "grayvoron-2023.yaml").read_text().splitlines().index(f"date: {bad}") + 1
    code = main(["validate", "--queries", str(q)])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.strip() == f"{q / 'grayvoron-2023.yaml'}: line {line}: not a valid date: {bad} ({why})"
    no_traceback(err)


def test_yaml_error_names_the_line_before_the_comments(tmp_path):
    """PyYAML notices an unclosed '[' at the next key, after the comments; the line to fix is
    the one with the '['."""
    q = tmp_path / "queries"
    shutil.copytree(ROOT / "queries", q)
    f = q / "grayvoron-2023.yaml"
    lines = f.read_text(encoding="utf-8").splitlines()
    n = next(i for i, s in enumerate(lines) if s.startswith("title:"))
    lines[n] = "title: {en: Grayvoron raid, ru: Грайворон"       # the '}' is missing
    lines[n + 1:n + 1] = ["# a comment", "", "# another", "#", "# and more"]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_incidents(q)
    assert e.value.lines[0].startswith(f"{f}: line {n + 1}: YAML syntax: expected ',' or '}}'"), e.value.lines


@pytest.mark.parametrize("where", ["file", "proc"])
def test_results_that_cannot_be_written_exit_2_before_any_request(tmp_path, capsys, where):
    if where == "file":
        (tmp_path / "plain").write_text("x")
        results = tmp_path / "plain" / "results"
    else:
        results = Path("/proc/incidentsearch-results")
    outlets = tmp_path / "outlets.yaml"
    outlets.write_text("outlets:\n  - id: local\n    name: Local\n    lang: [ru]\n    sources:\n"
                       "      - {kind: rss, url: 'http://127.0.0.1:9/rss.xml'}\n")
    code = main(["--outlets", str(outlets), "--results", str(results), "--no-cache"])
    out, err = capsys.readouterr()
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith(f"--results {results}: ")
    assert out == ""
    no_traceback(err)


def test_replay_of_a_file_that_is_not_a_warc(capsys):
    code = main(["--replay", str(ROOT / "outlets.yaml")])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.strip().splitlines() == [
        f"{ROOT / 'outlets.yaml'}: not a WARC file (it starts with b'# Outlet', not 'WARC/' or gzip); "
        "give a run's raw.warc.gz or samples/*.warc.gz"]


def test_replay_of_a_torn_gzip(tmp_path, capsys):
    bad = tmp_path / "torn.warc.gz"
    bad.write_bytes((ROOT / "samples" / "demo.warc.gz").read_bytes()[:20])
    code = main(["--replay", str(bad)])
    out, err = capsys.readouterr()
    assert code == 2 and err.startswith(f"{bad}: ") and len(err.strip().splitlines()) == 1
    no_traceback(err)


def test_broken_pipe_ends_quietly():
    p = subprocess.run(f"{sys.executable} search.py --dry-run | head -1", shell=True, cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert p.stdout.count("\n") == 1
    assert "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr, p.stderr


def test_result_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "run.json", "{}\n")
        (tmp_path / "plain.txt").write_text("x")
        os.umask(0o027)
        atomic_write(tmp_path / "report.html", "<p>x</p>\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "run.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "run.json").stat().st_mode) == \
        stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode)
    assert stat.S_IMODE((tmp_path / "report.html").stat().st_mode) == 0o640


def test_replay_of_a_folder_or_a_missing_file(tmp_path, capsys):
    assert main(["--replay", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == f"{tmp_path}: (file): not a file"
    assert main(["--replay", str(tmp_path / "none.warc.gz")]) == 2
    assert capsys.readouterr().err.strip() == f"{tmp_path / 'none.warc.gz'}: (file): not found"
