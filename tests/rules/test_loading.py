"""Rule files: every problem located to file:line:col in plain words; bad files never raise."""

from __future__ import annotations

import shutil

import pytest

from pipeline.rules.config import errors_only, load_config, merge_rules, validate
from pipeline.rules.loading import load_rule_set
from pipeline.yamldoc import YamlFileError

from ..conftest import REPO


@pytest.fixture
def rules_dir(tmp_path):
    """A private copy of the shipped rules folder to break."""
    return shutil.copytree(REPO / "rules", tmp_path / "rules")


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path, needle):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_shipped_rules_have_no_problems():
    assert validate(folder=REPO / "rules") == []


@pytest.mark.parametrize(
    ("file", "old", "new", "needle", "message"),
    [
        ("beverages.yaml", "type: orientation", "type: orientaton", "orientaton",
         "rule 'water-upright': unknown rule type 'orientaton' — did you mean 'orientation'?"),
        ("snacks.yaml", "type: min_facings", "type: min_facing", "min_facing",
         "unknown rule type 'min_facing' — did you mean 'min_facings'?"),
        ("beverages.yaml", "min: 0.4", "min: 40", "min: 40", "less than or equal to 1"),
        ("beverages.yaml", "severity: high", "severity: urgent", "urgent", "'low', 'medium'"),
        ("beverages.yaml", "category: bottled-water", "category: bottled-waters",
         "bottled-waters", "unknown category 'bottled-waters' — did you mean 'bottled-water'?"),
        ("beverages.yaml", "sku: colaco-cola-330", "sku: colaco-cola-33", "colaco-cola-33",
         "unknown sku 'colaco-cola-33' — did you mean 'colaco-cola-330'?"),
        ("snacks.yaml", "brand: chipking", "brand: chipkin", "brand: chipkin",
         "unknown brand 'chipkin' — did you mean 'chipking'?"),
        ("beverages.yaml", "zone: water", "zone: waters", "waters",
         "zone 'waters' is not defined for any camera this rule set applies to — did you "
         "mean 'water'?"),
        ("pricing.yaml", "tolerance: 0.01", "tolerance: 0.01\n    tolerence: 2", "tolerence",
         "unknown field 'tolerence' — did you mean 'tolerance'?"),
        ("pricing.yaml", "found}", "fund}", "fund}",
         "unknown placeholder '{fund}' in message — did you mean 'found'?"),
        ("snacks.yaml", "min: 12", "min: lots", "lots", "valid integer"),
        ("stores.yaml", "timezone: Asia/Hong_Kong", "timezone: Asia/HongKong", "HongKong",
         "unknown time zone 'Asia/HongKong'"),
        ("stores.yaml", '"30 7,19 * * *"', '"30 25 * * *"', "30 25", "bad cron line"),
        ("stores.yaml", "planogram: beverages-b", "planogram: beverage-b", "beverage-b",
         "unknown planogram 'beverage-b' — did you mean 'beverages-b'?"),
        ("stores.yaml", "{id: drinks, category: soft-drinks, shelves: [1, 3]}",
         "{id: drinks, category: soft-drink, shelves: [1, 3]}", "soft-drink,",
         "unknown category 'soft-drink'"),
        ("planograms/snacks-a.yaml", "{sku: crunchy-bbq-70,", "{sku: crunchy-bbq-7,",
         "crunchy-bbq-7,", "unknown sku 'crunchy-bbq-7' — did you mean 'crunchy-bbq-70'?"),
    ],
)
def test_problem_names_file_line_and_fix(rules_dir, file, old, new, needle, message):
    path = rules_dir / file
    _edit(path, old, new)
    problems = errors_only(validate(folder=rules_dir))
    assert len(problems) == 1, problems
    (problem,) = problems
    assert problem.file == str(path)
    assert problem.line == _line_of(path, needle)
    assert problem.column > 0
    assert message in problem.message
    with pytest.raises(YamlFileError):
        load_config(rules_dir)


def test_issue_example_message_format(rules_dir):
    path = rules_dir / "snacks.yaml"
    _edit(path, "type: min_facings", "type: min_facing")
    (problem,) = validate([path], folder=rules_dir)
    line = _line_of(path, "min_facing")
    assert str(problem) == (f"{path}:{line}:11: rule 'crunchy-facings': unknown rule type "
                            "'min_facing' — did you mean 'min_facings'?")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules:\n  - id: x\n    type: [unclosed\n", "YAML syntax error"),
        ("rules: !!python/object/apply:os.system ['true']\n", "unsafe"),
        ("rules:\n  - {id: a, type: max_gaps}\n  - {id: a, type: orientation}\n",
         "rule id 'a' is used twice"),
        ("- just\n- a list\n", "must be a mapping"),
        ("rules:\n  - 42\n", "each rule must be a mapping"),
        ("rules:\n  - {id: a}\n", "missing required field 'type'"),
        ("rules:\n  - {id: a, type: max_gaps}\nrules: []\n", "duplicate key"),
        ("applies_to: {shops: ['*']}\n", "unknown field 'shops'"),
        ("\x00\x01\x02garbage", "YAML"),
    ],
)
def test_bad_rule_set_never_raises(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    problems = validate([path], folder=REPO / "rules")
    assert problems and message in problems[0].message
    assert problems[0].file == str(path)


def test_alias_bomb_is_refused(tmp_path):
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (problem,) = validate([path], folder=REPO / "rules")
    assert "aliases" in problem.message


def test_not_utf8_and_missing_file(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"rules: [\xff\xfe]\n")
    assert "UTF-8" in validate([path], folder=REPO / "rules")[0].message
    assert "cannot read" in validate([tmp_path / "nope.yaml"], folder=REPO / "rules")[0].message


def test_selector_typo_is_a_warning_not_an_error(rules_dir):
    path = rules_dir / "snacks.yaml"
    _edit(path, 'stores: ["s00*"]', 'stores: ["s01*"]')
    (problem,) = validate(folder=rules_dir)
    assert problem.severity == "warning" and problem.line == _line_of(path, "s01*")
    assert "matches no store" in problem.message
    load_config(rules_dir)  # warnings do not stop loading


def test_override_by_id_priority_and_disable(rules_dir):
    (rules_dir / "zz-local.yaml").write_text(
        "applies_to: {stores: [s001], cameras: ['c0[12]']}\n"
        "rules:\n"
        "  - {id: no-gaps, type: max_gaps, max: 2, severity: low}\n"
        "  - {id: no-unknown, type: unknown_product, enabled: false}\n", encoding="utf-8")
    config = load_config(rules_dir)
    by_id = {r.id: r for r in config.rules_for("s001", "c01")}
    assert by_id["no-gaps"].max == 2 and "no-unknown" not in by_id
    assert "water-upright" in by_id and "crunchy-share" not in by_id
    assert {r.id: r for r in config.rules_for("s002", "c01")}["no-gaps"].max == 0
    snacks = {r.id: r for r in config.rules_for("s002", "c02")}
    assert snacks["no-gaps"].min_width == 1.0        # snacks.yaml beats general.yaml (priority)
    assert {r.id for r in config.rules_for("s001", "c03")} == {
        "no-gaps", "on-planogram", "no-competitors", "no-unknown", "tags-present",
        "prices-right", "promos-up"}


def test_camera_planogram_and_zones(rules_dir):
    config = load_config(rules_dir)
    assert config.planogram_for("s003", "c01").id == "beverages-b"
    zones = {z.id for z in config.zones_for("s001", "c01")}
    assert {"drinks", "water", "s1-colaco"} <= zones
    assert config.planogram_for("s009", "c01") is None and config.zones_for("s009", "c01") == []


def test_three_demo_stores_with_four_cameras_each():
    config = load_config(REPO / "rules")
    assert [s.id for s in config.stores.stores] == ["s001", "s002", "s003"]
    for store in config.stores.stores:
        assert [c.id for c in store.cameras.values()] == ["c01", "c02", "c03", "c04"]
        assert store.schedule is not None
        assert all(config.planogram_for(store.id, c.id) for c in store.cameras.values())


def test_partial_rule_set_keeps_valid_rules_but_reports(tmp_path):
    path = tmp_path / "half.yaml"
    path.write_text("rules:\n  - {id: a, type: max_gaps}\n  - {id: b, type: nope}\n",
                    encoding="utf-8")
    loaded = load_rule_set(path)
    assert [r.id for r in loaded.value.rules] == ["a"] and len(loaded.problems) == 1
    assert [r.id for r in merge_rules([loaded.value])] == ["a"]
