"""Reading the configs: YAML to the models of :mod:`.models`, every problem one line
``file: path: message`` (:class:`ConfigError`) so a user can fix a config without reading a
traceback. Reading never touches the network."""
from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from .models import Glossary, Incident, OutletsFile
from .sources import KINDS


class ConfigError(Exception):
    """One or more config problems, each a ready ``file: path: message`` line."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in KINDS and out.endswith("]"):
            continue  # the discriminated union's tag adds nothing for the reader
        else:
            out += ("." if out else "") + str(part)
    return out or "(top)"


def _errors(file: Path, exc: ValidationError) -> list[str]:
    lines = []
    for e in exc.errors():
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"{file}: {_loc(e['loc'])}: {msg}")
    return lines


def _read_yaml(file: Path):
    try:
        raw = file.read_bytes()
    except OSError as e:
        raise ConfigError([f"{file}: (file): cannot read: {e.strerror or e}"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise ConfigError([f"{file}: line {line}: not UTF-8 (byte {e.start} is {raw[e.start]:#04x})"])
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError([f"{file}: {_syntax_error(text, e)}"])
    except (ValueError, OverflowError, TypeError) as e:   # a scalar YAML could not build: 2023-02-30
        raise ConfigError([f"{file}: {_bad_scalar(text, e)}"])


def _content_line(lines: list[str], line: int, column: int) -> int:
    """The 0-based line a parse error belongs to: PyYAML notices a missing ']' or '"' only at
    the next token, after any comment and blank lines; the error is on the last line with
    content before them."""
    if line >= len(lines) or lines[line][:column].strip() == "":
        n = min(line, len(lines)) - 1
        while n >= 0 and (not lines[n].strip() or lines[n].lstrip().startswith("#")):
            n -= 1
        if 0 <= n < line:
            return n
    return line


def _syntax_error(text: str, e: yaml.YAMLError) -> str:
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or str(e).splitlines()[0]
    if mark is None:
        return f"(file): YAML syntax: {problem}"
    line = _content_line(text.splitlines(), mark.line, mark.column)
    ctx, ctx_mark = getattr(e, "context", None), getattr(e, "context_mark", None)
    more = f" ({ctx} from line {ctx_mark.line + 1})" if ctx and ctx_mark and ctx_mark.line < line else ""
    return f"line {line + 1}: YAML syntax: {problem}{more}"


def _bad_scalar(text: str, e: Exception) -> str:
    """Where a value that parses but cannot be built (a date such as 2023-02-30) stands."""
    constructor = yaml.constructor.SafeConstructor()
    todo = [yaml.compose(text, Loader=yaml.SafeLoader)]
    while todo:
        node = todo.pop()
        if isinstance(node, yaml.MappingNode):
            todo += [x for kv in reversed(node.value) for x in reversed(kv)]
        elif isinstance(node, yaml.SequenceNode):
            todo += reversed(node.value)
        elif isinstance(node, yaml.ScalarNode):
            try:
                constructor.construct_object(node, deep=True)
            except (ValueError, OverflowError, TypeError) as bad:
                what = "not a valid date" if node.tag.endswith(":timestamp") else "not a valid value"
                return f"line {node.start_mark.line + 1}: {what}: {node.value} ({bad})"
    return f"(file): cannot read a value: {e}"


def load_outlets(file: Path) -> OutletsFile:
    data = _read_yaml(file)
    if not isinstance(data, dict):
        raise ConfigError([f"{file}: (top): must be a mapping with 'outlets'"])
    try:
        return OutletsFile.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_errors(file, e))


def load_incident(file: Path) -> Incident:
    data = _read_yaml(file)
    if not isinstance(data, dict):
        raise ConfigError([f"{file}: (top): must be a mapping"])
    try:
        inc = Incident.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_errors(file, e))
    if inc.id != file.stem:
        raise ConfigError([f"{file}: id: {inc.id!r} differs from the file name {file.stem!r}"])
    return inc


def incident_files(qdir: Path) -> list[Path]:
    """Incident files of a queries folder; glossary-like data files start with '_' or are named glossary."""
    return sorted(p for p in qdir.glob("*.yaml") if not p.name.startswith("_") and p.stem != "glossary")


def load_glossary(qdir: Path) -> Glossary:
    """The folder's glossary.yaml; an empty glossary when there is none."""
    file = qdir / "glossary.yaml"
    if not file.exists():
        return Glossary()
    data = _read_yaml(file)
    try:
        return Glossary.model_validate(data or {})
    except ValidationError as e:
        raise ConfigError(_errors(file, e))


def load_incidents(qdir: Path) -> list[Incident]:
    if not qdir.is_dir():
        raise ConfigError([f"{qdir}: (folder): not found"])
    files = incident_files(qdir)
    if not files:
        raise ConfigError([f"{qdir}: (folder): no incident files (*.yaml)"])
    out, lines = [], []
    try:
        glossary = load_glossary(qdir)
    except ConfigError as e:
        lines.extend(e.lines)
        glossary = None
    for f in files:
        try:
            inc = load_incident(f)
        except ConfigError as e:
            lines.extend(e.lines)
            continue
        if glossary is not None:
            lines += [f"{f}: events[{n}]: unknown event {ev!r} (not in {qdir / 'glossary.yaml'})"
                      for n, ev in enumerate(inc.events) if ev not in glossary.concepts]
        out.append(inc)
    if lines:
        raise ConfigError(lines)
    return out


def load_all(outlets_file: Path, qdir: Path) -> tuple[OutletsFile, list[Incident]]:
    """Both configs, every problem of both reported together."""
    lines: list[str] = []
    outlets = incidents = None
    try:
        outlets = load_outlets(outlets_file)
    except ConfigError as e:
        lines.extend(e.lines)
    try:
        incidents = load_incidents(qdir)
    except ConfigError as e:
        lines.extend(e.lines)
    if lines:
        raise ConfigError(lines)
    return outlets, incidents
