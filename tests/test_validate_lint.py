"""`validate` warns (never fails) on incident files that load but would match badly (issue 14)."""
from __future__ import annotations

import shutil
from pathlib import Path

from incidentsearch.cli import main
from incidentsearch.config import load_incident

ROOT = Path(__file__).resolve().parents[1]


def folder(tmp_path: Path) -> Path:
    q = tmp_path / "queries"
    shutil.copytree(ROOT / "queries", q)
    return q


def test_shipped_incidents_give_no_warning(capsys):
    assert main(["validate"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_generic_actor_is_warned_not_refused(tmp_path, capsys):
    q = folder(tmp_path)
    f = q / "soloti-2022.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("actors:\n", "actors:\n  - ВСУ\n  - Минобороны\n", 1), encoding="utf-8")
    code = main(["validate", "--queries", str(q)])
    out, err = capsys.readouterr()
    assert code == 0 and out.startswith("ok: ")
    lines = err.splitlines()
    assert lines == [f"{f}: actors[0]: warning: 'ВСУ' is too generic to identify an incident (every report of "
                     "the war names it); as an alias it makes hits of unrelated reports",
                     f"{f}: actors[1]: warning: 'Минобороны' is too generic to identify an incident (every report "
                     "of the war names it); as an alias it makes hits of unrelated reports"]


def test_glossary_generic_names_and_other_incidents_regions(tmp_path, capsys):
    q = folder(tmp_path)
    g = q / "glossary.yaml"
    g.write_text(g.read_text(encoding="utf-8") + "generic:\n  en: [Gladkov]\n", encoding="utf-8")
    f = q / "shebekino-2023.yaml"
    text = f.read_text(encoding="utf-8")
    region = load_incident(q / "grayvoron-2023.yaml").regions[0]
    f.write_text(text.replace("actors:\n", f"actors:\n  - Gladkov\n  - \"{region}\"\n", 1), encoding="utf-8")
    assert main(["validate", "--queries", str(q)]) == 0
    err = capsys.readouterr().err
    assert f"{f}: actors[0]: warning: 'Gladkov' is too generic" in err
    assert f"{f}: actors[1]: warning: '{region}' is a broad region of " in err or \
        f"{f}: actors[1]: warning: '{region}' is too generic" in err


def test_descriptions_in_one_language_only(tmp_path, capsys):
    q = folder(tmp_path)
    f = q / "soloti-2022.yaml"
    text = f.read_text(encoding="utf-8")
    start = text.index("descriptions:\n  en:\n") + len("descriptions:\n")
    end = text.index("  ru:\n", start)
    f.write_text(text[:start] + text[end:], encoding="utf-8")
    assert main(["validate", "--queries", str(q)]) == 0
    assert capsys.readouterr().err.splitlines() == [
        f"{f}: descriptions.en: warning: no en descriptions; reports in that language are matched on names "
        "alone (add one or two one-line descriptions)"]
