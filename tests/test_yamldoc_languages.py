"""Rule-file problems in the reader's language: pydantic's errors said again by their type, the
YAML parser's complaints by their wording; English unchanged; caches kept per language."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline import i18n, yamldoc
from pipeline.rules import book


class _Shelf(BaseModel):
    model_config = ConfigDict(extra="forbid")
    share: float = Field(ge=0.0, le=1.0)
    facings: int = Field(gt=0)
    name: str = Field(min_length=2)
    colour: complex = 0j  # an error code we do not translate


def _errors(**fields) -> list[dict]:
    with pytest.raises(ValidationError) as info:
        _Shelf(**fields)
    return info.value.errors(include_url=False)


def test_english_is_pydantics_own_text_byte_for_byte():
    with i18n.using("en"):
        for err in _errors(share=1.5, facings="x", name="a", colour="nope"):
            assert yamldoc.explain(err) == err["msg"]


def test_chinese_by_error_type_with_its_values():
    errors = {e["loc"][0]: e for e in _errors(share=1.5, facings=0, name="a")}
    with i18n.using("zh"):
        assert yamldoc.explain(errors["share"]) == "应小于或等于 1"
        assert yamldoc.explain(errors["facings"]) == "应大于 0"
        assert yamldoc.explain(errors["name"]) == "文字至少应有 2 个字符"


def test_a_code_without_words_keeps_pydantics_english():
    err = next(e for e in _errors(share=0.5, facings=1, name="ab", colour="nope"))
    assert err["type"] not in yamldoc.PYDANTIC_WORDS
    with i18n.using("zh"):
        assert yamldoc.explain(err) == err["msg"]


def test_every_translated_code_is_one_pydantic_knows():
    from pydantic_core import _pydantic_core

    known = {e["type"] for e in _pydantic_core.list_all_errors()}
    assert set(yamldoc.PYDANTIC_WORDS) <= known


def test_an_unknown_parser_complaint_stays_as_the_parser_said_it():
    with i18n.using("zh"):
        assert yamldoc.syntax_words("something new went wrong") == "something new went wrong"
        assert yamldoc.syntax_words("found undefined alias 'x'") == "未定义的别名 'x'"


def test_the_same_text_checked_in_both_languages_is_worded_in_each():
    """The parse cache keeps problems per language: a reader of Chinese after one of English
    (and back) gets their own words, at the same place."""
    text = "rules:\n  - id: a\n    type: max_gaps\n    severity: huge\n"
    en = book.check_text(text, "x.yaml", lang="en")
    zh = book.check_text(text, "x.yaml", lang="zh")
    assert en == ["x.yaml:4:15: rule 'a': severity: Input should be 'low', 'medium' or 'high'"]
    assert zh == ["x.yaml:4:15: 规则 'a'：severity: 应为 'low', 'medium' 或 'high'"]
    with i18n.using("zh"):
        assert book.check_text(text, "x.yaml") == zh
    assert book.check_text(text, "x.yaml", lang="en") == en


def test_the_rules_pages_file_cache_is_kept_per_language(tmp_path):
    import shutil
    from pathlib import Path

    from pipeline.queries import rule_files

    rules_copy = tmp_path / "rules"
    shutil.copytree(Path(__file__).resolve().parent.parent / "rules", rules_copy)
    path = rules_copy / "general.yaml"
    path.write_text("rules:\n  - id: a\n    type: max_gaps\n    colour: red\n", encoding="utf-8")
    found = {}
    for lang in ("en", "zh", "en"):
        with i18n.using(lang):
            got = rule_files.gathered(rules_copy)
        found[lang] = [p.message for r in got.rule_sets for p in r.problems]
    assert "rule 'a': unknown field 'colour'" in found["en"]
    assert "规则 'a'：未知字段 'colour'" in found["zh"]
