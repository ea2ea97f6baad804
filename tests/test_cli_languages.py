"""The command line in the language of ``SHELFAUDIT_LANG`` / ``LANG``: the ``--help`` of every
command, the admin's and the developer tools' (text, options, typer's panel words), their
messages and one-line errors, and rule-file problems, in Chinese and, unchanged, in English."""

from __future__ import annotations

import json
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from pipeline import i18n
from pipeline.cli import app
from pipeline.detections import dumps
from tests.factories.cli import run_cli
from tests.factories.shelves import CHIPS, COLA, layout


def _all_commands() -> list[tuple[str, Any]]:
    """Every command and group of ``shelfaudit``, subcommands at any depth (the admin's and
    the developer tools: synth, train ..., eval ..., bench ...), as ``("train detector", cmd)``."""
    found = []

    def walk(path: str, command: Any) -> None:
        found.append((path, command))
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(f"{path} {name}".strip(), sub)

    walk("", typer.main.get_command(app))
    return found


def _help_texts(path: str, command: Any) -> list[str]:
    ctx = typer.Context(command, info_name=path or "shelfaudit")
    return [t for t in [command.help] + [getattr(p, "help", None)
                                         for p in command.get_params(ctx)] if t]


def test_every_help_text_of_every_command_has_a_chinese_translation():
    """What typer shows (docstrings, ``help=``) reaches the catalog through
    pipeline.clihelp.extract exactly as the click objects hold it — for every command."""
    zh = i18n.translations("zh")
    commands = _all_commands()
    assert {"synth", "train detector", "train recognizer", "train embedder", "eval recognition",
            "eval domain", "bench", "bench load", "bench pages", "users add"} <= \
        {path for path, _c in commands}
    untranslated = [f"{path or 'shelfaudit'}: {t[:60]!r}" for path, command in commands
                    for t in _help_texts(path, command) if zh.gettext(t) == t]
    assert not untranslated, "\n".join(untranslated)


def _first_words(text: str, n: int = 4) -> str:
    return " ".join(text.split()[:n])


@pytest.mark.parametrize("path", [p for p, _c in _all_commands()])
def test_every_commands_help_is_drawn_in_chinese(path):
    """``--help`` in Chinese shows no English help line: neither the command's own text nor
    an option's nor a subcommand's line (their first words, as the catalog has them)."""
    command = dict(_all_commands())[path]
    english = _help_texts(path, command) + [
        sub.get_short_help_str(limit=300) for sub in getattr(command, "commands", {}).values()
        if sub.help]
    zh = _invoke([*path.split(), "--help"], "zh", terminal_width=200)
    assert zh.exit_code == 0, zh.output
    shown = " ".join(zh.output.split())
    left = [_first_words(t) for t in english if _first_words(t) in shown]
    assert not left, left
    assert _first_words(i18n.translations("zh").gettext(command.help), 1)[:8] in shown
    en = " ".join(_invoke([*path.split(), "--help"], "en", terminal_width=200).output.split())
    assert _first_words(command.help) in en


def _invoke(args: list[str], lang: str, **kwargs):
    return CliRunner().invoke(app, args, env={"SHELFAUDIT_LANG": lang, "LANG": ""}, **kwargs)


def test_help_speaks_the_language_of_the_environment():
    zh = _invoke(["users", "add", "--help"], "zh")
    assert zh.exit_code == 0, zh.output
    for words in ("添加账号。", "登录名：字母、数字", "─ 参数 ", "─ 选项 ", "[默认：viewer]",
                  "[必填]", "显示此帮助并退出。"):
        assert words in zh.output, words
    group = _invoke(["users", "--help"], "zh").output
    assert "看板账号：添加、列出" in group and "设置新密码" in group and "─ 命令 " in group
    en = _invoke(["users", "add", "--help"], "en")
    for words in ("Add an account.", "Sign-in name: letters", "Options", "[default: viewer]",
                  "Show this message and exit."):
        assert words in en.output, words
    assert "添加" not in en.output
    assert "Usage" in zh.output  # click's own words stay English


def test_a_long_chinese_help_line_folds_instead_of_being_cut():
    root = _invoke(["--help"], "zh", terminal_width=80).output
    assert "把大量合成巡检历史直接写入数据库" in root and "带违规和周报记录" in root


@pytest.fixture
def cli(monkeypatch, capsys):
    """``cli("users", "list", lang="zh")`` -> (exit code, stdout, stderr) through the real
    entry point (its one-line errors included)."""

    return lambda *args, lang: run_cli(monkeypatch, capsys, *args, lang=lang)


def test_user_accounts_in_chinese_and_english(cli):
    assert cli("users", "list", lang="zh")[1] == \
        "还没有账号（`shelfaudit users add NAME --role admin`）\n"
    code, out, _ = cli("users", "add", "bob", "--no-password", lang="zh")
    assert code == 0 and out == "已添加 bob（查看者；没有门店）\n"
    assert cli("users", "add", "root", "--role", "admin", "--no-password", lang="en")[1] == \
        "added root (admin; all stores)\n"
    assert cli("users", "disable", "bob", lang="zh")[1] == "已停用 bob（查看者；没有门店） [已停用]\n"
    assert cli("users", "disable", "bob", lang="en")[1] == \
        "disabled bob (viewer; no stores) [disabled]\n"
    code, _, err = cli("users", "passwd", "ghost", "--password-stdin", lang="zh")
    assert (code, err) == (2, "错误：没有名为 'ghost' 的用户\n")
    code, _, err = cli("users", "add", "x", "--role", "god", "--no-password", lang="zh")
    assert code == 2 and err.startswith("错误：未知角色 'god'；请从 ")
    code, _, err = cli("users", "assign", "bob", "s001", "--remove", "--replace", lang="en")
    assert (code, err) == (2, "error: use either --remove or --replace, not both\n")


def _detections(tmp_path, catalog):
    shelf = layout([[COLA] * 5, [CHIPS] * 5], catalog, store="s001", camera="c01",
                   actual={(1, 2): None})  # one gap on the top shelf
    doc = json.loads(dumps([shelf.photo]))
    doc["photos"][0]["planogram"] = shelf.planogram.model_dump(mode="json")
    path = tmp_path / "det.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_check_speaks_chinese_and_its_json_stays_the_same(cli, tmp_path, catalog):
    det = _detections(tmp_path, catalog)
    rules = tmp_path / "gaps.yaml"
    rules.write_text("rules:\n  - {id: no-gaps, type: max_gaps}\n", encoding="utf-8")
    code, out, _ = cli("check", "--rules", rules, "--detections", det, lang="zh")
    first, violation = out.splitlines()
    assert code == 1
    assert "（s001/c01，2 层货架）：1 处违规 —— 合规率 " in first
    assert "在架率 " in first and "价格 " in first and "促销 " in first
    assert violation.startswith("  [中] no-gaps: 第 1 层有空位")
    code, out, _ = cli("check", "--rules", rules, "--detections", det, lang="en")
    assert "(s001/c01, 2 shelves): 1 violation — compliance " in out and "  [medium] no-gaps: " in out
    zh_json = cli("check", "--rules", rules, "--detections", det, "--json", lang="zh")[1]
    assert zh_json == cli("check", "--rules", rules, "--detections", det, "--json", lang="en")[1]


def test_rule_validation_and_its_errors_in_chinese(cli, tmp_path):
    assert cli("rules", "validate", lang="zh")[1] == "规则正常：没有发现问题\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: x\n    type: min_facing\n", encoding="utf-8")
    code, out, err = cli("rules", "validate", bad, lang="zh")
    assert code == 1 and out == f"{bad}:3:11: 规则 'x'：未知规则类型 'min_facing' —— 是不是想写 " \
        "'min_facings'？\n"
    assert err == "1 个错误，0 个警告\n"
    assert cli("rules", "validate", bad, lang="en")[2] == "1 error, 0 warnings\n"
    code, _, err = cli("rules", "schema", "--kind", "nope", lang="zh")
    assert (code, err) == (2, "错误：--kind 必须是 rule-set、stores 或 planogram，而不是 'nope'\n")
    code, _, err = cli("check", lang="zh")
    assert (code, err) == (2, "错误：请给出照片或 --detections FILE 之一（不能都给，也不能都不给）\n")


BROKEN = {  # a rule file with one problem of each kind, and each problem's line
    "rules:\n"
    "  - id: few\n"
    "    type: min_facings\n"
    "    sku: cola-330-can\n"
    "    min: lots\n"  # 5: not a whole number (pydantic int_parsing)
    "  - id: gaps\n"
    "    type: max_gaps\n"
    "    severity: huge\n"  # 8: not one of the choices (literal_error)
    "    colour: red\n"  # 9: unknown field (extra_forbidden)
    "  - id: ghost\n"
    "    type: required_product\n"
    "    sku: nope-001\n"  # 12: unknown SKU (the catalog check)
    "  - id: tiny\n"
    "    type: share_of_shelf\n"
    "    brand: colaco\n"
    "    min: -1\n"  # 16: below the lower bound (greater_than_equal)
    "  - type: max_gaps\n": None,  # 17: no id (missing)
}
EXPLAINED = {
    "en": ["5:10: rule 'few': min: Input should be a valid integer, unable to parse string as "
           "an integer",
           "8:15: rule 'gaps': severity: Input should be 'low', 'medium' or 'high'",
           "9:13: rule 'gaps': unknown field 'colour'",
           "12:10: rule 'ghost': unknown sku 'nope-001'",
           "16:10: rule 'tiny': min: Input should be greater than or equal to 0",
           "17:5: missing required field 'id'"],
    "zh": ["5:10: 规则 'few'：min: 应为整数，无法把所填的文字读成整数",
           "8:15: 规则 'gaps'：severity: 应为 'low', 'medium' 或 'high'",
           "9:13: 规则 'gaps'：未知字段 'colour'",
           "12:10: 规则 'ghost'：未知 SKU 'nope-001'",
           "16:10: 规则 'tiny'：min: 应大于或等于 0",
           "17:5: 缺少必填字段 'id'"],
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_rule_file_problems_are_explained_in_the_readers_language(cli, tmp_path, lang):
    """``rules validate``: the same file and line:column in both languages, the explanation
    in the reader's words; ``--json`` keeps English values."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("".join(BROKEN), encoding="utf-8")
    code, out, _err = cli("rules", "validate", bad, lang=lang)
    assert code == 1
    assert sorted(out.splitlines()) == sorted(f"{bad}:{line}" for line in EXPLAINED[lang])
    code, out, _err = cli("rules", "validate", bad, "--json", lang=lang)
    messages = [p["message"] for p in json.loads(out)["problems"]]
    assert sorted(messages) == sorted(e.split(": ", 1)[1] for e in EXPLAINED["en"])


@pytest.mark.parametrize("text, en, zh", [
    ("rules:\n  - id: a\n   type: b\n", "3:4: YAML syntax error: expected <block end>, but "
     "found '<block mapping start>' (while parsing a block collection)",
     "3:4: YAML 语法错误：此处应结束一个块，却遇到 '映射的开头'（请检查缩进）"
     "（读取块列表时）"),
    ("rules: [a, b\n", "2:1: YAML syntax error: expected ',' or ']', but got '<stream end>' "
     "(while parsing a flow sequence)",
     "2:1: YAML 语法错误：此处应为 ',' 或 ']'，却遇到 '文本的结尾'（读取行内列表时）"),
    ("rules:\n  - id: a\n    type: max_gaps\n    id: b\n", "4:5: YAML syntax error: "
     "duplicate key \"id\" with value \"b\" (original value: \"a\") (while constructing a "
     "mapping)", "4:5: YAML 语法错误：键 \"id\" 重复，值为 \"b\"（原来的值：\"a\"）（构建映射时）"),
    ("rules: []\n", "1:1: the rule set has no rules; a rule set needs at least one rule under "
     "'rules:' (to switch a rule off, keep it with enabled: false; to retire the file, delete it)",
     "1:1: 规则集没有规则；规则集的 'rules:' 下至少要有一条规则（要关闭某条规则，请保留它并写 "
     "enabled: false；要停用整个文件，请删除该文件）"),
])
def test_yaml_syntax_problems_in_both_languages(cli, tmp_path, text, en, zh):
    bad = tmp_path / "broken.yaml"
    bad.write_text(text, encoding="utf-8")
    assert cli("rules", "validate", bad, lang="en")[1] == f"{bad}:{en}\n"
    assert cli("rules", "validate", bad, lang="zh")[1] == f"{bad}:{zh}\n"


def test_a_store_run_reports_in_chinese(cli):
    code, out, _ = cli("run-once", "--store", "s001", "--inspector", "fake", lang="zh")
    assert code == 0, out
    assert out.startswith("s001：正常 —— 0 张照片中：已巡检 0，失败 0，")
    code, out, _ = cli("run-once", "--store", "s001", "--inspector", "fake", lang="en")
    assert out.startswith("s001: ok — 0 inspected, 0 failed, 0 to retry, 0 quarantined, 0 "
                          "duplicates of 0 photos")
    code, _, err = cli("run-once", "--store", "nowhere", lang="zh")
    assert code == 2 and err.startswith("错误：未知门店 nowhere；stores.yaml 中有 s001")


def test_models_list_in_chinese(cli):
    code, out, _ = cli("models", "list", lang="zh")
    assert code == 0
    assert "模型设置：无（使用入门模型）" in out
    assert "\n可拉取（shelfaudit models pull NAME）：\n" in out
    assert out.splitlines()[1].startswith("检测器 ")


def test_a_usage_error_is_shown_as_click_shows_it_with_exit_code_2(cli):
    """click's own words stay English; ours inside them are translated."""
    code, _, err = cli("report", lang="zh")
    assert code == 2 and "Error: Missing option '--store'" in err and "Traceback" not in err
    code, _, err = cli("eval", lang="zh")
    assert code == 2 and "Invalid value for --data: 请给出 --data DIR（或子命令" in err
    code, _, err = cli("users", "nope", lang="en")
    assert code == 2 and "No such command 'nope'" in err


def test_developer_commands_speak_the_readers_language(cli, tmp_path):
    """synth's summary and the one-line errors of synth and train, in Chinese and English."""
    out_dir = tmp_path / "synth"
    code, out, _err = cli("synth", "--out", out_dir, "--scenes", 1, "--width", 320, "--quiet",
                          lang="zh")
    assert code == 0 and out.startswith(f"已写入 1 张照片到 {out_dir}，用时 "), out
    assert "；故障：" in out
    code, out, _err = cli("synth", "--out", tmp_path / "again", "--scenes", 1, "--width", 320,
                          "--quiet", "--fault-rate", 0, lang="en")
    assert code == 0 and out.startswith(f"wrote 1 photos to {tmp_path / 'again'} in ")
    assert out.endswith("; faults: none\n"), out
    code, _out, err = cli("synth", "--out", tmp_path / "x", "--fault", "lyin=0.2", lang="zh")
    assert code == 2 and err.startswith("错误：--fault lyin=0.2：未知故障类型（已知：gap, ")
    code, _out, err = cli("synth", "--out", tmp_path / "x", "--fault", "lying=2", lang="en")
    assert (code, err) == (2, "error: --fault lying=2: the rate must be a number from 0 to 1\n")
    nowhere = tmp_path / "nowhere"
    code, _out, err = cli("train", "detector", "--data", nowhere, lang="zh")
    assert (code, err) == (2, f"错误：{nowhere}：找不到 YOLO 的 data.yaml（已在其中和 yolo/ 中查找）\n")
    code, _out, err = cli("train", "detector", "--data", nowhere, lang="en")
    assert err == f"error: {nowhere}: no YOLO data.yaml found (looked in it, and in yolo/)\n"
