"""Config errors: one `file: path: message` line each, exit 2, nothing fetched or written."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from incidentsearch.cli import main
from incidentsearch.config import ConfigError, load_incidents, load_outlets, template_fields

ROOT = Path(__file__).resolve().parents[1]

GOOD_OUTLETS = """\
outlets:
  - id: local
    name: Local
    lang: [ru]
    sources:
      - kind: rss
        url: http://127.0.0.1:9/rss.xml
"""


def write(tmp_path: Path, name: str, body: str) -> Path:
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(body), encoding="utf-8")
    return p


def run_cli(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def qdir():
    return ROOT / "queries"


@pytest.mark.parametrize("body, line", [
    (GOOD_OUTLETS.replace("    lang: [ru]\n", "    lang: [ru]\n    colour: red\n"),
     "outlets[0].colour: unknown key"),
    (GOOD_OUTLETS.replace("lang: [ru]", "lang: ru"),
     "outlets[0].lang: Input should be a valid list"),
    (GOOD_OUTLETS.replace("rss.xml", "search?q={qeury}"),
     "outlets[0].sources[0].url: unknown placeholder {qeury} in URL template; "
     "allowed: {offset}, {page}, {query}, {since}, {until}"),
    (GOOD_OUTLETS.replace("rss.xml", "search?q={query:%Y}"),
     "outlets[0].sources[0].url: format spec only allowed on {since}/{until}, not {query}"),
    (GOOD_OUTLETS.replace("kind: rss", "kind: atom"),
     "outlets[0].sources[0]: Input tag 'atom' found using 'kind' does not match any of the expected "
     "tags: 'rss', 'sitemap', 'html_search', 'json_search', 'google_news', 'gdelt', 'wayback', 'telegram'"),
    (GOOD_OUTLETS + "  - id: local\n    name: Again\n    lang: [en]\n    sources:\n"
                    "      - {kind: rss, url: 'http://127.0.0.1:9/b'}\n",
     "(top): duplicate outlet id 'local'"),
    (GOOD_OUTLETS.replace("lang: [ru]", "lang: [ru]\n    tz: Mars/Olympus"),
     "outlets[0].tz: unknown time zone 'Mars/Olympus'"),
    ("outlets: [\n", "line 1: YAML syntax: expected the node content, but found '<stream end>'"),   # the unclosed [ is on line 1
])
def test_outlet_errors_are_one_line_each_and_exit_2(tmp_path, capsys, qdir, body, line):
    f = write(tmp_path, "outlets.yaml", body)
    results = tmp_path / "results"
    code, out, err = run_cli(["--outlets", str(f), "--queries", str(qdir), "--results", str(results)], capsys)
    assert code == 2
    assert err.splitlines() == [f"{f}: {line}"]
    assert out == ""
    assert not results.exists(), "nothing may be written on a config error"


def test_validate_reports_every_problem_of_both_files(tmp_path, capsys):
    f = write(tmp_path, "outlets.yaml", GOOD_OUTLETS.replace("    lang: [ru]\n", "    lang: [ru]\n    x: 1\n"))
    q = tmp_path / "q"
    write(tmp_path, "q/bad-one.yaml", """\
        id: bad-one
        title: {en: A, ru: Б}
        date: 2023-05-22
        end: 2023-05-01
        places: [Козинка]
        descriptions: {en: [a raid]}
        queries: {en: [raid]}
        """)
    write(tmp_path, "q/typed.yaml", """\
        id: typed
        title: {en: A, ru: Б}
        date: 22 May
        places: [Козинка]
        descriptions: {en: [a raid]}
        queries: {en: [raid]}
        """)
    code, out, err = run_cli(["validate", "--outlets", str(f), "--queries", str(q)], capsys)
    assert code == 2
    assert err.splitlines() == [
        f"{f}: outlets[0].x: unknown key",
        f"{q / 'bad-one.yaml'}: (top): end 2023-05-01 is before date 2023-05-22",
        f"{q / 'typed.yaml'}: date: Input should be a valid date or datetime, input is too short",
    ]


def test_incident_id_must_equal_file_name(tmp_path):
    write(tmp_path, "q/soloti.yaml", """\
        id: soloti-2022
        title: {en: A, ru: Б}
        date: 2022-10-15
        places: [Солоти]
        descriptions: {ru: [стрельба на полигоне]}
        queries: {ru: [стрельба полигон]}
        """)
    with pytest.raises(ConfigError) as e:
        load_incidents(tmp_path / "q")
    assert e.value.lines == [f"{tmp_path / 'q' / 'soloti.yaml'}: id: 'soloti-2022' differs from the file name 'soloti'"]


def test_missing_queries_folder_and_unknown_incident(tmp_path, capsys):
    f = write(tmp_path, "outlets.yaml", GOOD_OUTLETS)
    code, _, err = run_cli(["--outlets", str(f), "--queries", str(tmp_path / "nope"), "--dry-run"], capsys)
    assert (code, err.strip()) == (2, f"{tmp_path / 'nope'}: (folder): not found")
    code, _, err = run_cli(["--outlets", str(f), "--queries", str(ROOT / "queries"), "--incident", "kursk-2024",
                            "--dry-run"], capsys)
    assert code == 2
    assert err.startswith(f"{ROOT / 'queries'}: unknown incident kursk-2024; known: ")


def test_missing_outlets_file(tmp_path, capsys):
    code, _, err = run_cli(["--outlets", str(tmp_path / "none.yaml"), "--queries", str(ROOT / "queries")], capsys)
    assert (code, err.strip()) == (2, f"{tmp_path / 'none.yaml'}: (file): cannot read: No such file or directory")


def test_query_file_not_utf8(tmp_path):
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / "cp.yaml").write_bytes("id: cp\ntitle: {ru: Белгород}\n".encode("cp1251"))
    with pytest.raises(ConfigError) as e:
        load_incidents(tmp_path / "q")
    assert e.value.lines == [f"{tmp_path / 'q' / 'cp.yaml'}: line 2: not UTF-8 (byte 19 is 0xc1)"]


def test_yaml_11_no_is_not_a_language_list(tmp_path):
    """The YAML 1.1 trap: `lang: [NO]` becomes False, which pydantic refuses."""
    f = write(tmp_path, "o.yaml", GOOD_OUTLETS.replace("lang: [ru]", "lang: [NO]"))
    with pytest.raises(ConfigError) as e:
        load_outlets(f)
    assert e.value.lines == [f"{f}: outlets[0].lang[0]: Input should be 'ru', 'en' or 'uk'"]


def test_template_fields():
    assert template_fields("https://x/s?q={query}&from={since:%d.%m.%Y}&p={page}") == {"query", "since", "page"}
    with pytest.raises(ValueError):
        template_fields("https://x/{query")


def test_shipped_config_is_valid():
    proc = subprocess.run([sys.executable, "search.py", "validate"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok: ")


def test_bad_css_selector_is_a_config_error(tmp_path):
    f = write(tmp_path, "o.yaml", GOOD_OUTLETS.replace(
        "      - kind: rss\n        url: http://127.0.0.1:9/rss.xml\n",
        "      - kind: html_search\n        url: 'http://127.0.0.1:9/s?q={query}'\n        item: 'li.result['\n"
        "        fields: {title: 'a.title', date: 'time@datetime'}\n"))
    with pytest.raises(ConfigError) as e:
        load_outlets(f)
    assert len(e.value.lines) == 1
    assert e.value.lines[0].startswith(f"{f}: outlets[0].sources[0].item: bad CSS selector 'li.result[': ")
