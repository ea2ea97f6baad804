"""The dashboard's screenshots for the docs: Overview, Today's fixes, Inspections and Upload in
one language, 1440×900, on a demo history (``docs/screenshots/zh-CN/``)::

    python -m pipeline.lab.screenshots [--lang zh-CN] [--out docs/screenshots/zh-CN] [--home H]

It starts the dashboard as ``shelfaudit serve`` does (``pipeline/dashboard/server.py``, the
real models inspecting uploads) on the bench's demo home (``shelfaudit bench load`` /
``bench pages`` build it once in the temp folder; ``--home`` for another), signs in as the
bench's admin in headless Chromium whose language is ``--lang``, opens each view by its URL and
keeps the visible screen. The PNGs are compressed (a 256-colour palette when the full-colour
file would be over :data:`MAX_BYTES`).
"""

from __future__ import annotations

import argparse
import io
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image

MAX_BYTES = 400_000
VIEWS = ("overview", "fixes", "inspections", "upload")
DRAWN = ("() => !document.querySelector('[data-testid=stSkeleton], "
         "[data-testid=stSkeletonElement], [data-testid=stAppSkeleton], "
         "[data-testid=stStatusWidget]')")


def save_png(screen: bytes, path: Path, max_bytes: int = MAX_BYTES) -> Path:
    """``screen`` (a PNG) written to ``path`` as small as it goes without losing the words:
    optimised full colour, else a 256-colour palette (then fewer colours) under ``max_bytes``."""
    image = Image.open(io.BytesIO(screen)).convert("RGB")
    path.parent.mkdir(parents=True, exist_ok=True)
    candidates = [image] + [image.quantize(colors=n, method=Image.Quantize.MEDIANCUT,
                                           dither=Image.Dither.FLOYDSTEINBERG)
                            for n in (256, 128, 64)]
    for candidate in candidates:
        out = io.BytesIO()
        candidate.save(out, "PNG", optimize=True)
        if out.tell() <= max_bytes or candidate is candidates[-1]:
            path.write_bytes(out.getvalue())
            return path
    return path  # pragma: no cover - the loop always writes


def _drawn(tab: Any) -> None:
    """The run over and every element drawn (no loading placeholder), then a moment to paint."""
    tab.wait_for_timeout(400)
    tab.wait_for_function(DRAWN, timeout=120_000)
    tab.wait_for_function("() => document.querySelector('[data-testid=stApp]')"
                          ".getAttribute('data-test-script-state') === 'notRunning'")
    tab.wait_for_timeout(600)


def _open(tab: Any, url: str) -> None:
    tab.goto(url)
    tab.locator('[data-testid="stMain"] h1').first.wait_for()
    _drawn(tab)


def _top(tab: Any, selector: str) -> None:
    """Scroll so that ``selector`` is at the top of the screen."""
    tab.locator(selector).first.evaluate("e => e.scrollIntoView({block: 'start'})")
    tab.wait_for_timeout(500)


def _upload(tab: Any, url: str, store: str, camera: str, photo: Path) -> None:
    """Upload ``photo`` as ``store``/``camera``'s and inspect it (the models judge it)."""
    _open(tab, f"{url}/upload?store={store}")
    tab.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(photo))
    tab.get_by_text(photo.name).first.wait_for()
    tab.locator(".st-key-upload_camera [data-testid='stSelectbox']").click()
    tab.get_by_role("option").filter(has_text=camera).first.click()
    _drawn(tab)
    tab.locator(".st-key-upload_run button").click()
    tab.locator("[class*='st-key-upload_save_']").first.wait_for(timeout=600_000)
    _drawn(tab)


def take(tab: Any, url: str, out: Path, store: str, inspection: int, camera: str,
         photo: Path, prefix: str = "") -> list[Path]:
    """The four views of a signed-in ``tab`` as ``out/<prefix><view>.png``."""
    shots = []

    def keep(view: str) -> None:
        shots.append(save_png(tab.screenshot(), out / f"{prefix}{view}.png"))

    _open(tab, f"{url}/")
    keep("overview")
    _open(tab, f"{url}/fixes?store={store}")
    _top(tab, '[data-testid="stMain"] h3')
    keep("fixes")
    _open(tab, f"{url}/inspections?store={store}&inspection={inspection}")
    _top(tab, '[data-testid="stMain"] hr')
    keep("inspections")
    _upload(tab, url, store, camera, photo)
    _top(tab, '[data-testid="stMain"] [data-testid="stImage"]')
    tab.mouse.wheel(0, -170)
    tab.wait_for_timeout(500)
    keep("upload")
    return shots


def _subjects(home: Path, store: str, camera: str, folder: Path) -> tuple[int, Path]:
    """The store's inspection with the most violations in its newest week, and a photo of what
    ``camera`` sees (its newest scheduled photo, as a camera would send it)."""
    from sqlalchemy import select

    from pipeline.db import session_scope
    from pipeline.db import tables as t
    from pipeline.loadbench.servers import home_env

    with home_env(home), session_scope() as session:
        week = session.scalar(select(t.Inspection.iso_week).where(t.Inspection.store_id == store)
                              .order_by(t.Inspection.iso_week.desc()).limit(1))
        inspection = session.scalar(
            select(t.Inspection.id).where(t.Inspection.store_id == store,
                                          t.Inspection.iso_week == week)
            .order_by(t.Inspection.violation_count.desc(), t.Inspection.id).limit(1))
        newest = session.scalar(
            select(t.Photo.path).where(t.Photo.store_id == store, t.Photo.camera_id == camera)
            .order_by(t.Photo.captured_at.desc()).limit(1))
    photo = folder / f"{store}-{camera}-shelf.jpg"
    Image.open(newest).convert("RGB").save(photo, "JPEG", quality=90)
    return int(inspection), photo


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - a docs tool
    from pipeline.loadbench import servers
    from pipeline.loadbench.paint import CHROMIUM, SERVER, browser_tab, sign_in

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", default="zh-CN", help="The browser's language.")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots/zh-CN"))
    parser.add_argument("--home", type=Path, default=None, help="A SHELFAUDIT_HOME with a "
                        "demo history (default: the bench's, built when missing).")
    parser.add_argument("--store", default="s002")
    parser.add_argument("--camera", default="c01")
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    home = servers.prepare_home(args.home, 8)
    admin = servers.ensure_accounts(home, 0)[0][0]
    with tempfile.TemporaryDirectory() as scratch:
        inspection, photo = _subjects(home, args.store, args.camera, Path(scratch))
        with servers.dashboard(home, script=SERVER, inspector="models") as running, \
                browser_tab(args.chromium, 600, args.lang) as tab:
            sign_in(tab, running.url, admin, servers.PASSWORD, 120)
            for path in take(tab, running.url, args.out, args.store, inspection, args.camera,
                             photo):
                print(f"{path}  {path.stat().st_size / 1000:.0f} kB")


if __name__ == "__main__":  # pragma: no cover
    main()
