"""Engine and sessions for the inspection store; schema upgrades through Alembic.

The URL comes from ``DATABASE_URL`` (any SQLAlchemy URL) or defaults to the SQLite file
``$SHELFAUDIT_HOME/shelfaudit.db``. SQLite connections get ``journal_mode=WAL`` (readers never
block the writer), ``busy_timeout`` (writers wait instead of failing) and ``foreign_keys=ON``.
Opening the store makes the process's new files owner-only (:mod:`pipeline.filemodes`).
The app calls :func:`upgrade` (Alembic ``upgrade head``) on start.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from pipeline.filemodes import private_by_default, tighten
from pipeline.settings import get_settings

PACKAGE_DIR = Path(__file__).resolve().parent.parent
ALEMBIC_INI = PACKAGE_DIR / "alembic.ini"
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI objects
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def database_url(url: str | None = None) -> str:
    """The URL in force: ``url`` if given, else settings (``DATABASE_URL`` or SQLite in home)."""
    return url or get_settings().db_url


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL per process (SQLite: parent folder created, pragmas on connect)."""
    url = database_url(url)
    with _lock:
        engine = _engines.get(url)
        if engine is not None:
            return engine
        private_by_default()  # owner-only database, reports and photos (pipeline.filemodes)
        parsed = make_url(url)
        kwargs: dict = {"future": True}
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
                for suffix in ("", "-wal", "-shm"):
                    tighten(Path(parsed.database + suffix).expanduser())
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        else:
            kwargs["pool_pre_ping"] = True
        engine = create_engine(url, **kwargs)
        if parsed.get_backend_name() == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        _engines[url] = engine
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests, forks, shutdown)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False, future=True)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str | None = None):  # noqa: ANN201 - alembic.config.Config
    """The packaged Alembic configuration pointed at ``url``."""
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    config.attributes["engine"] = get_engine(url)
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` (default: the newest)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def current_revision(url: str | None = None) -> str | None:
    """The schema revision the database is at (``None`` for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def has_table(name: str, url: str | None = None) -> bool:
    return inspect(get_engine(url)).has_table(name)
