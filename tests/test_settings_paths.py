"""Settings paths are resolved once per path and working folder (the dashboard asks on every
query), and a relative home still follows the working folder."""

from __future__ import annotations


def test_a_relative_home_follows_the_working_folder(tmp_path, monkeypatch):
    from pipeline.settings import get_settings

    monkeypatch.setenv("SHELFAUDIT_HOME", "data")
    get_settings.cache_clear()
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        monkeypatch.chdir(tmp_path / name)
        assert get_settings().home_dir == (tmp_path / name / "data").resolve()
        assert get_settings().db_url.endswith(f"/{name}/data/shelfaudit.db")
