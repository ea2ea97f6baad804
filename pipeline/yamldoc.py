"""Safe YAML for files that people edit: positions for every value, clear errors.

Every problem is a :class:`Problem` with file, line and column (1-based) and a plain message,
formatted as ``rules/beverages.yaml:14:7: message``. Loading refuses unsafe tags
(``!!python/object`` ...), alias bombs (too many aliases), deep nesting and huge files before
anything is built, so a hostile file costs nothing.
"""

from __future__ import annotations

import difflib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import ConstructorError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent

MAX_BYTES = 1_000_000
MAX_ALIASES = 50
MAX_DEPTH = 30
# Explicit tags allowed (``!!str 12``); any other tag (``!!python/...``, ``!foo``) is refused.
SAFE_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in (
    "str", "int", "float", "bool", "null", "seq", "map", "timestamp"))


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a file, located to line and column (1-based; 0 = unknown)."""

    file: str
    line: int
    column: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "severity": self.severity,
        }


class YamlFileError(Exception):
    """Raised when a YAML file cannot be used; carries every :class:`Problem` found."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    return yaml


def _guard(text: str, name: str) -> None:
    """Reject alias bombs and deep nesting by walking parser events (nothing is constructed)."""
    aliases = depth = 0
    try:
        for event in _yaml().parse(io.StringIO(text)):
            if isinstance(event, AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    mark = event.start_mark
                    raise YamlFileError([Problem(name, mark.line + 1, mark.column + 1,
                        f"too many aliases (more than {MAX_ALIASES}); "
                        "anchors/aliases are limited to keep the file safe")])
            elif isinstance(event, (MappingStartEvent, SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    raise YamlFileError([Problem(name, mark.line + 1, mark.column + 1,
                        f"nested more than {MAX_DEPTH} levels deep")])
            elif type(event).__name__ in ("MappingEndEvent", "SequenceEndEvent"):
                depth -= 1
            tag = getattr(event, "tag", None)
            if tag is not None and str(tag) not in SAFE_TAGS:
                mark = event.start_mark
                raise YamlFileError([Problem(name, mark.line + 1, mark.column + 1,
                    f"unsafe or unknown YAML tag refused ({tag})")])
    except MarkedYAMLError as exc:
        raise YamlFileError([_syntax_problem(exc, name)]) from None
    except YAMLError as exc:  # e.g. control characters (ReaderError)
        raise YamlFileError([Problem(name, 0, 0, f"not a YAML text file: {exc}")]) from None


def _syntax_problem(exc: MarkedYAMLError, name: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    problem = (exc.problem or "invalid YAML").strip()
    if isinstance(exc, ConstructorError) and "could not determine a constructor" in problem:
        problem = f"unsafe or unknown YAML tag refused ({problem.split('for the tag')[-1].strip()})"
    elif "found duplicate key" in str(exc):
        problem = "duplicate key " + problem.split("found duplicate key")[-1].strip()
    context = f" ({exc.context.strip()})" if exc.context and mark is exc.problem_mark else ""
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    return Problem(name, line, col, f"YAML syntax error: {problem}{context}")


def loads(text: str, name: str = "<text>") -> Any:
    """Parse YAML text safely, keeping positions (ruamel ``CommentedMap``/``CommentedSeq``).

    Raises:
        YamlFileError: size, alias, nesting, tag or syntax problems, with file:line:col.
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise YamlFileError([Problem(name, 0, 0, f"file is larger than {MAX_BYTES // 1000} kB")])
    _guard(text, name)
    try:
        return _yaml().load(text)
    except (MarkedYAMLError, ConstructorError) as exc:
        raise YamlFileError([_syntax_problem(exc, name)]) from None
    except YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise YamlFileError([Problem(name, 0, 0, f"YAML error: {exc}")]) from None


def load(path: str | Path, name: str | None = None) -> Any:
    """Read and parse a YAML file (see :func:`loads`)."""
    label = name or str(path)
    return loads(read_text(path, label), label)


def read_text(path: str | Path, name: str | None = None) -> str:
    """A YAML file's text (UTF-8, at most :data:`MAX_BYTES`).

    Raises:
        YamlFileError: unreadable, too large or not UTF-8, located to ``name``.
    """
    path = Path(path)
    label = name or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlFileError([Problem(label, 0, 0, f"cannot read file: {exc.strerror}")]) from None
    if len(raw) > MAX_BYTES:
        raise YamlFileError([Problem(label, 0, 0, f"file is larger than {MAX_BYTES // 1000} kB")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlFileError([Problem(label, 0, 0, f"not UTF-8 text (byte {exc.start})")]) from None
    return text


def locate(doc: Any, loc: Sequence[str | int]) -> tuple[int, int]:
    """Line and column (1-based) of the value at path ``loc`` in a parsed document.

    Walks as deep as the path exists; returns the position of the deepest node found, so an
    error about a missing key points at the mapping that lacks it.
    """
    line, col = 0, 0
    node = doc
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            pos = node.lc.value(part) if not isinstance(node[part], (CommentedMap, CommentedSeq)) else node.lc.key(part)
            line, col = pos or (line, col)
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line, col = node.lc.item(part) or (line, col)
            node = node[part]
        else:
            if isinstance(node, (CommentedMap, CommentedSeq)) and line == 0:
                line, col = node.lc.line, node.lc.col
            break
    return line + 1, col + 1


def problems_from_validation(
    exc: pydantic.ValidationError, doc: Any, name: str, prefix: Sequence[str | int] = ()
) -> list[Problem]:
    """Turn a pydantic error into located, plain-worded problems (one per error)."""
    problems = []
    for err in exc.errors(include_url=False):
        loc = [p for p in (*prefix, *err["loc"]) if not (isinstance(p, str) and "[" in p)]
        line, col = locate(doc, loc)
        path = ".".join(str(p) for p in loc if p not in prefix) or "(top level)"
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = f"unknown field '{loc[-1]}'"
        elif err["type"] == "missing":
            message = f"missing required field '{loc[-1]}'"
        problems.append(Problem(name, line, col, f"{path}: {message}"))
    return problems


def suggest(word: str, choices: Sequence[str]) -> str:
    """`` — did you mean 'x'?`` when a close match exists, else an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


def to_plain(node: Any) -> Any:
    """Convert ruamel containers to plain dicts/lists (for pydantic)."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, str) else k: to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    return node
