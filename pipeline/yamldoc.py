"""Safe YAML for files that people edit: positions for every value, clear errors.

Every problem is a :class:`Problem` with file, line and column (1-based) and a plain message,
formatted as ``rules/beverages.yaml:14:7: message``. Loading refuses unsafe tags
(``!!python/object`` ...), alias bombs (too many aliases), deep nesting and huge files before
anything is built, so a hostile file costs nothing.

Messages are in the reader's language (:mod:`pipeline.i18n`, current when the file is read):
the frame (file, line, column, field path) stays, the explanation is translated. pydantic's
errors are said again by their error ``type`` with their ``ctx`` values (:func:`explain`), and
the YAML parser's usual complaints by their wording (:func:`syntax_words`); anything else keeps
its English text. In English every message is what it always was, byte for byte.
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import ConstructorError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent

from pipeline.i18n import N_, _

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
                        _("too many aliases (more than {limit}); anchors/aliases are limited "
                          "to keep the file safe").format(limit=MAX_ALIASES))])
            elif isinstance(event, (MappingStartEvent, SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    raise YamlFileError([Problem(name, mark.line + 1, mark.column + 1,
                        _("nested more than {limit} levels deep").format(limit=MAX_DEPTH))])
            elif type(event).__name__ in ("MappingEndEvent", "SequenceEndEvent"):
                depth -= 1
            tag = getattr(event, "tag", None)
            if tag is not None and str(tag) not in SAFE_TAGS:
                mark = event.start_mark
                raise YamlFileError([Problem(name, mark.line + 1, mark.column + 1,
                    _("unsafe or unknown YAML tag refused ({tag})").format(tag=tag))])
    except MarkedYAMLError as exc:
        raise YamlFileError([_syntax_problem(exc, name)]) from None
    except YAMLError as exc:  # e.g. control characters (ReaderError)
        raise YamlFileError([Problem(name, 0, 0, _("not a YAML text file: {error}").format(
            error=exc))]) from None


def _syntax_problem(exc: MarkedYAMLError, name: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    problem = (exc.problem or "invalid YAML").strip()
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    if isinstance(exc, ConstructorError) and "could not determine a constructor" in problem:
        tag = problem.split("for the tag")[-1].strip()
        return Problem(name, line, col, _("YAML syntax error: {problem}").format(
            problem=_("unsafe or unknown YAML tag refused ({tag})").format(tag=tag)))
    if "found duplicate key" in str(exc):
        problem = "duplicate key " + problem.split("found duplicate key")[-1].strip()
    context = exc.context.strip() if exc.context and mark is exc.problem_mark else ""
    if context:
        return Problem(name, line, col, _("YAML syntax error: {problem} ({context})").format(
            problem=syntax_words(problem), context=syntax_words(context)))
    return Problem(name, line, col, _("YAML syntax error: {problem}").format(
        problem=syntax_words(problem)))


# The YAML parser's (ruamel's) usual complaints, by their English wording -> how to say them
# (message ids; English shows the parser's own text)
SYNTAX_WORDS: list[tuple[re.Pattern[str], str]] = [(re.compile(pattern), words) for pattern, words in [
    (r"mapping values are not allowed here", N_("mapping values are not allowed here")),
    (r"could not find expected ':'", N_("could not find the expected ':'")),
    (r"expected <block end>, but found '(?P<found>.*)'",
     N_("expected the end of a block, but found '{found}' (check the indentation)")),
    (r"expected '(?P<first>.*)' or '(?P<second>.*)', but got '(?P<found>.*)'",
     N_("expected '{first}' or '{second}', but found '{found}'")),
    (r"expected <block mapping start>, but found '(?P<found>.*)'",
     N_("expected a mapping, but found '{found}'")),
    (r"found unexpected end of stream", N_("the text ends too early")),
    (r"found character '(?P<char>.*)' that cannot start any token",
     N_("the character '{char}' cannot start a value (indent with spaces, not tabs)")),
    (r"found undefined alias '(?P<alias>.*)'", N_("undefined alias '{alias}'")),
    (r'duplicate key "(?P<key>.*)" with value "(?P<value>.*)" \(original value: '
     r'"(?P<original>.*)"\)',
     N_('duplicate key "{key}" with value "{value}" (original value: "{original}")')),
    (r"found unknown escape character '(?P<char>.*)'",
     N_("unknown escape character '{char}'")),
    (r"found unexpected ':'", N_("unexpected ':'")),
    (r"while parsing a block collection", N_("while reading a block list")),
    (r"while parsing a block mapping", N_("while reading a block mapping")),
    (r"while parsing a flow sequence", N_("while reading an inline list")),
    (r"while parsing a flow mapping", N_("while reading an inline mapping")),
    (r"while scanning a quoted scalar", N_("while reading a quoted text")),
    (r"while scanning a simple key", N_("while reading a key")),
    (r"while scanning for the next token", N_("while reading the next item")),
    (r"while constructing a mapping", N_("while building a mapping")),
    (r"while scanning an alias", N_("while reading an alias")),
    (r"while scanning a block scalar", N_("while reading a block text")),
]]


# The parser's names of what it met ('<block mapping start>' ...) -> how to say them
TOKEN_WORDS = {"<alias>": N_("an alias"), "<anchor>": N_("an anchor"),
               "<block end>": N_("the end of a block"),
               "<block mapping start>": N_("the start of a mapping"),
               "<block sequence start>": N_("the start of a list"), "<scalar>": N_("a value"),
               "<stream end>": N_("the end of the text"), "<tag>": N_("a tag"),
               "<document start>": N_("the start of a document"),
               "<document end>": N_("the end of a document")}


def syntax_words(text: str) -> str:
    """A YAML parser complaint in the reader's language (the parser's English when it is not
    one we know, or the reader reads English)."""
    for pattern, words in SYNTAX_WORDS:
        match = pattern.fullmatch(text)
        if match and _(words) != words:
            return _(words).format(**{k: _(TOKEN_WORDS[v]) if v in TOKEN_WORDS else v
                                      for k, v in match.groupdict().items()})
    return text


def loads(text: str, name: str = "<text>") -> Any:
    """Parse YAML text safely, keeping positions (ruamel ``CommentedMap``/``CommentedSeq``).

    Raises:
        YamlFileError: size, alias, nesting, tag or syntax problems, with file:line:col.
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise YamlFileError([Problem(name, 0, 0, _too_large())])
    _guard(text, name)
    try:
        return _yaml().load(text)
    except (MarkedYAMLError, ConstructorError) as exc:
        raise YamlFileError([_syntax_problem(exc, name)]) from None
    except YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise YamlFileError([Problem(name, 0, 0, _("YAML error: {error}").format(
            error=exc))]) from None


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
        raise YamlFileError([Problem(label, 0, 0, cannot_read(exc))]) from None
    if len(raw) > MAX_BYTES:
        raise YamlFileError([Problem(label, 0, 0, _too_large())])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlFileError([Problem(label, 0, 0, _("not UTF-8 text (byte {byte})").format(
            byte=exc.start))]) from None
    return text


def _too_large() -> str:
    return _("file is larger than {size} kB").format(size=MAX_BYTES // 1000)


def cannot_read(exc: OSError) -> str:
    """``cannot read file: No such file or directory`` (the system's reason stays as the
    system says it)."""
    return _("cannot read file: {reason}").format(reason=exc.strerror)


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
        path = ".".join(str(p) for p in loc if p not in prefix) or _("(top level)")
        if err["type"] == "extra_forbidden":
            message = unknown_field(loc[-1])
        elif err["type"] == "missing":
            message = missing_field(loc[-1])
        else:
            message = explain(err, plain=False)
        problems.append(Problem(name, line, col, f"{path}: {message}"))
    return problems


def unknown_field(field: Any, choices: Sequence[str] = ()) -> str:
    """``unknown field 'x'`` (with `` — did you mean 'y'?`` when one of ``choices`` is close)."""
    return _("unknown field '{field}'").format(field=field) + suggest(str(field), choices)


def missing_field(field: Any) -> str:
    return _("missing required field '{field}'").format(field=field)


# pydantic's error codes -> how to say them in another language (message ids: the English a
# reader of English sees is pydantic's own text, byte for byte); {names} are the error's ctx
PYDANTIC_WORDS: dict[str, str] = {
    "missing": N_("Field required"),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "none_required": N_("Input should be None"),
    "model_type": N_("Input should be a valid dictionary or instance of {class_name}"),
    "model_attributes_type": N_("Input should be a valid dictionary or object to extract "
                                "fields from"),
    "dataclass_type": N_("Input should be a dictionary or an instance of {class_name}"),
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "multiple_of": N_("Input should be a multiple of {multiple_of}"),
    "finite_number": N_("Input should be a finite number"),
    "too_short": N_("{field_type} should have at least {min_length} item(s) after validation, "
                    "not {actual_length}"),
    "too_long": N_("{field_type} should have at most {max_length} item(s) after validation, "
                   "not {actual_length}"),
    "iterable_type": N_("Input should be iterable"),
    "string_type": N_("Input should be a valid string"),
    "string_unicode": N_("Input should be a valid string, unable to parse raw data as a "
                         "unicode string"),
    "string_too_short": N_("String should have at least {min_length} character(s)"),
    "string_too_long": N_("String should have at most {max_length} character(s)"),
    "string_pattern_mismatch": N_("String should match pattern '{pattern}'"),
    "string_not_ascii": N_("String should contain only ASCII characters"),
    "enum": N_("Input should be {expected}"),
    "literal_error": N_("Input should be {expected}"),
    "dict_type": N_("Input should be a valid dictionary"),
    "mapping_type": N_("Input should be a valid mapping, error: {error}"),
    "list_type": N_("Input should be a valid list"),
    "tuple_type": N_("Input should be a valid tuple"),
    "set_type": N_("Input should be a valid set"),
    "frozen_set_type": N_("Input should be a valid frozenset"),
    "set_item_not_hashable": N_("Set items should be hashable"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_parsing_size": N_("Unable to parse input string as an integer, exceeded maximum size"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "decimal_parsing": N_("Input should be a valid decimal"),
    "value_error": N_("Value error, {error}"),
    "assertion_error": N_("Assertion failed, {error}"),
    "date_type": N_("Input should be a valid date"),
    "date_parsing": N_("Input should be a valid date in the format YYYY-MM-DD, {error}"),
    "date_from_datetime_parsing": N_("Input should be a valid date or datetime, {error}"),
    "time_type": N_("Input should be a valid time"),
    "time_parsing": N_("Input should be in a valid time format, {error}"),
    "datetime_type": N_("Input should be a valid datetime"),
    "datetime_parsing": N_("Input should be a valid datetime, {error}"),
    "datetime_from_date_parsing": N_("Input should be a valid datetime or date, {error}"),
    "time_delta_type": N_("Input should be a valid timedelta"),
    "time_delta_parsing": N_("Input should be a valid timedelta, {error}"),
    "timezone_naive": N_("Input should not have timezone info"),
    "timezone_aware": N_("Input should have timezone info"),
    "union_tag_invalid": N_("Input tag '{tag}' found using {discriminator} does not match any "
                            "of the expected tags: {expected_tags}"),
    "union_tag_not_found": N_("Unable to extract tag using discriminator {discriminator}"),
    "url_type": N_("URL input should be a string or URL"),
    "url_parsing": N_("Input should be a valid URL, {error}"),
    "url_scheme": N_("URL scheme should be {expected_schemes}"),
    "url_too_long": N_("URL should have at most {max_length} character(s)"),
    "json_invalid": N_("Invalid JSON: {error}"),
    "is_instance_of": N_("Input should be an instance of {class}"),
    "uuid_parsing": N_("Input should be a valid UUID, {error}"),
}
_PLAIN = ("value_error", "assertion_error")  # our validators' own words, already translated


def explain(err: Mapping[str, Any], plain: bool = True) -> str:
    """One pydantic error's explanation (no location) in the reader's language, from its
    ``type`` and ``ctx``; pydantic's English text for a code not in :data:`PYDANTIC_WORDS`,
    and always in English. ``plain``: a validator's own message without pydantic's
    ``Value error, `` in front (our validators say it in the reader's language already)."""
    kind, ctx, english = err.get("type"), dict(err.get("ctx") or {}), str(err.get("msg", ""))
    if plain and kind in _PLAIN:
        return str(ctx["error"]) if "error" in ctx else english.split(", ", 1)[-1]
    words = PYDANTIC_WORDS.get(str(kind))
    if words is None or _(words) == words:
        return english
    if kind in ("literal_error", "enum") and isinstance(ctx.get("expected"), str):
        ctx["expected"] = ctx["expected"].replace("' or '", "' {or_} '".format(or_=_("or")))
    try:
        return _(words).format(**{k: _ctx_text(v) for k, v in ctx.items()})
    except (KeyError, IndexError, ValueError):  # a ctx pydantic did not give: its own text
        return english


def _ctx_text(value: Any) -> str:
    """A ctx value as pydantic writes it (``0.0`` -> ``0``, ``0.5`` -> ``0.5``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


def suggest(word: str, choices: Sequence[str]) -> str:
    """`` — did you mean 'x'?`` when a close match exists, else an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return _(" — did you mean '{choice}'?").format(choice=close[0]) if close else ""


def to_plain(node: Any) -> Any:
    """Convert ruamel containers to plain dicts/lists (for pydantic)."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, str) else k: to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    return node
