"""Catalog loading and validation errors located to file:line:col."""

from __future__ import annotations

import pytest

from pipeline.catalog import load_catalog
from pipeline.yamldoc import YamlFileError

from .conftest import REPO


def test_shipped_catalog_meets_the_product_brief(catalog):
    assert len(catalog.skus) >= 24
    assert len(catalog.brands) >= 6
    assert len(catalog.categories) >= 4
    for sku in catalog.skus:
        assert sku.name.en and sku.name.zh and sku.prompts.en and sku.prompts.zh
        assert sku.package in {"bottle", "can", "carton", "box", "bag"}
    assert {s.package for s in catalog.skus} >= {"bottle", "can", "carton", "bag"}


def _write(tmp_path, text):
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _broken(tmp_path, old, new):
    text = (REPO / "rules" / "catalog.yaml").read_text(encoding="utf-8")
    assert old in text
    return _write(tmp_path, text.replace(old, new, 1))


def _line_of(path, needle):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ("package: can", "package: tin", "package: tin", "package"),
        ("price: 3.50", "price: -1", "price: -1", "greater than 0"),
        ("brand: fizzup", "brand: fizup", "brand: fizup", "did you mean 'fizzup'"),
        ('body: "#c8102e"', 'body: "red"', 'body: "red"', "colour"),
        ("    size: 330ml\n", "    size: 330ml\n    colour: red\n", "colour: red", "unknown field"),
    ],
)
def test_bad_entry_names_file_and_line(tmp_path, old, new, needle, message):
    path = _broken(tmp_path, old, new)
    with pytest.raises(YamlFileError) as info:
        load_catalog(path)
    problem = info.value.problems[0]
    assert problem.file == str(path)
    assert problem.line == _line_of(path, needle)
    assert message in problem.message


def test_yaml_syntax_error_is_located(tmp_path):
    path = _write(tmp_path, "version: 1\nskus:\n  - id: [unclosed\n")
    with pytest.raises(YamlFileError) as info:
        load_catalog(path)
    assert info.value.problems[0].line >= 3
    assert "YAML syntax error" in info.value.problems[0].message


def test_unsafe_tag_is_refused(tmp_path):
    path = _write(tmp_path, "version: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(YamlFileError) as info:
        load_catalog(path)
    assert "unsafe" in str(info.value)


def test_alias_bomb_is_refused(tmp_path):
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = _write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(YamlFileError) as info:
        load_catalog(path)
    assert "aliases" in str(info.value)


def test_fingerprint_changes_with_content(catalog, tmp_path):
    path = _broken(tmp_path, "price: 3.50", "price: 3.60")
    assert load_catalog(path).fingerprint != catalog.fingerprint
