"""The models settings file: defaults, relative paths, located errors."""

from __future__ import annotations

import pytest

from pipeline.settings import STARTER_MODELS_DIR, get_settings
from pipeline.vision.config import ModelsConfig, load_models_config
from pipeline.yamldoc import YamlFileError


def test_defaults_are_the_starter_models():
    config = load_models_config()
    assert config.detector == str(STARTER_MODELS_DIR / "detector.pt")
    assert config.recognizer == str(STARTER_MODELS_DIR / "recognizer")
    assert str(STARTER_MODELS_DIR / "gallery") in config.gallery
    assert str(get_settings().home_dir / "gallery") in config.gallery
    assert config.max_det >= 1000
    assert config.device == "auto"


def test_file_paths_resolve_against_the_file_and_hub_ids_stay(tmp_path):
    path = tmp_path / "models.yaml"
    path.write_text("detector: weights/yolo11n.pt\nrecognizer: openai/clip-vit-base-patch32\n"
                    "gallery: [refs]\nconf: 0.4\nslice_above_px: 3000\n")
    config = load_models_config(path)
    assert config.detector == str(tmp_path / "weights" / "yolo11n.pt")
    assert config.recognizer == "openai/clip-vit-base-patch32"
    assert config.gallery == [str(tmp_path / "refs")]
    assert config.conf == 0.4 and config.slice_above_px == 3000


def test_settings_models_file_is_read(tmp_path, monkeypatch):
    path = tmp_path / "m.yaml"
    path.write_text("device: cpu\n")
    monkeypatch.setenv("SHELFAUDIT_MODELS", str(path))
    get_settings.cache_clear()
    assert load_models_config().device == "cpu"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("detector: a.pt\ndetectr: b.pt\n", 2, "unknown field 'detectr'"),
        ("conf: 0.3\nmax_det: lots\n", 2, "max_det"),
        ("- just\n- a list\n", 1, "expected a mapping"),
    ],
)
def test_bad_files_are_located(tmp_path, text, line, message):
    path = tmp_path / "models.yaml"
    path.write_text(text)
    with pytest.raises(YamlFileError) as err:
        load_models_config(path)
    problem = err.value.problems[0]
    assert problem.line == line
    assert message in problem.message


def test_empty_file_gives_defaults(tmp_path):
    path = tmp_path / "models.yaml"
    path.write_text("# nothing chosen yet\n")
    assert load_models_config(path).max_det == ModelsConfig().max_det
