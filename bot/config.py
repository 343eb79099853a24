"""Hub settings: environment variables, optionally preloaded from a settings file.

Every setting is documented in README.md ("Settings"). ``HUB_SETTINGS_FILE`` may name a
``KEY=value`` file (one per line, ``#`` comments); values already in the environment win.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent

_VAR = re.compile(r"\$\{([A-Z0-9_]+)(?::-([^}]*))?\}")


def load_settings_file(path: str | os.PathLike[str] | None, env: dict[str, str]) -> None:
    """Read ``KEY=value`` lines into ``env`` without overriding what is already set."""
    if not path:
        return
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ValueError(f"{path}:{lineno}: expected KEY=value, got {line!r}")
        key, value = line.split("=", 1)
        env.setdefault(key.strip(), value.strip().strip('"').strip("'"))


def expand_vars(value: Any, env: Mapping[str, str]) -> Any:
    """Expand ``${VAR}`` and ``${VAR:-default}`` recursively in strings of a YAML tree."""
    if isinstance(value, str):
        return _VAR.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), value)
    if isinstance(value, dict):
        return {k: expand_vars(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_vars(v, env) for v in value]
    return value


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


_TEXT_MAX = "HUB_MAX_TEXT_CHARS"


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name}={raw!r}: cần một số nguyên dương")
    return int(raw)


def _text_maxima(env: Mapping[str, str]) -> dict[str, int]:
    """``HUB_MAX_TEXT_CHARS_<CHANNEL>`` overrides, keyed by channel name (lower case)."""
    prefix = _TEXT_MAX + "_"
    return {
        key[len(prefix) :].lower(): _positive_int(env, key, 1)
        for key in sorted(env)
        if key.startswith(prefix) and len(key) > len(prefix)
    }


# HUB_ENGINE values (bot.app.choose_engines); HUB_NLU values (the conversation engine's NLU)
ENGINES = ("auto", "hub", "rasa", "rasa-dialogue", "faq", "handoff")
NLUS = ("auto", "rasa", "cues")
# HUB_HOME values: what ``/`` redirects to (bot.routes.home)
HOMES = ("webchat", "console")


def default_sqlite_url() -> str:
    return f"sqlite+aiosqlite:///{ROOT / 'var' / 'hub.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8022
    database_url: str = field(default_factory=default_sqlite_url)
    redis_url: str | None = None
    credentials_file: Path = ROOT / "credentials.yml"
    public_url: str = "http://127.0.0.1:8022"
    engine: str = "auto"  # one of ENGINES (see bot.app.choose_engines)
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout: float = 10.0
    # the conversation engine's NLU: auto (Rasa's /model/parse when HUB_RASA_URL is set),
    # rasa, or cues (the hub's own, actions.cues)
    nlu: str = "auto"
    nlu_timeout: float = 2.0  # seconds for one /model/parse; then the hub's own cues read it
    faq_path: Path | None = None
    faq_poll_interval: float = 2.0
    faq_semantic: bool = True
    faq_lexicon: str | None = None  # a deployment's FAQ lexicon file (faq/data/lexicon.tsv's format)
    faq_embeddings: str | None = str(ROOT / "var" / "faq-embeddings.sqlite3")  # None: not kept
    media_dir: Path = ROOT / "var" / "media"
    hotline_name: str = "Tổng đài 1022"
    hotline_phone: str = ""  # the numbers a citizen can call, as shown ("1022 hoặc 0237 3 123 456")
    hotline_scope_ttl: float = 30.0  # seconds the hotline's scope (active domains) is cached
    outbox_max_attempts: int = 8
    outbox_base_delay: float = 1.0
    outbox_max_delay: float = 300.0
    outbox_claim_seconds: float = 12.0
    outbox_channel_concurrency: int = 8
    outbox_record_seconds: float = 60.0
    lease_seconds: float = 10.0
    worker_poll_interval: float = 2.0
    pipeline_workers: int = 8  # conversations answered at once per process (each waits on Rasa / the FAQ)
    max_upload_bytes: int = 10 * 1024 * 1024
    # characters of inbound text stored per message (beyond: the prefix, marked truncated)
    max_text_chars: int = 100_000
    max_text_chars_by_channel: Mapping[str, int] = field(default_factory=dict)
    log_level: str = "INFO"
    secure_cookies: bool = False
    home: str = "webchat"  # one of HOMES: the page ``/`` redirects to
    # the console's queue colours a waiting conversation "warn", then "late", after these
    queue_warn_seconds: int = 120
    queue_late_seconds: int = 300
    # the public site (bot.public): answers per page; the lookup's wrong guesses allowed per
    # ticket code and per client address within the window (seconds)
    public_page_size: int = 20
    lookup_code_limit: int = 5
    lookup_address_limit: int = 20
    lookup_window_seconds: int = 3600
    # the supervisors' addresses the monthly report is mailed to (bot.console.monthly_report)
    report_emails: tuple[str, ...] = ()
    # what this process does (bot.roles): all, web (HTTP only) or worker (no HTTP); and how
    # many processes ``serve`` starts (web ones share the port)
    role: str = "all"
    processes: int = 1
    # PostgreSQL connections per process: the pool, and how many more it may open at a peak
    # (processes x (pool + overflow + 2 for the event bus) must stay under max_connections)
    # a worker process lowers its CPU priority by this much (0: not): acknowledgements wait
    # on the CPU, answers can wait a few milliseconds (docs/benchmarks.md, issue 16)
    worker_nice: int = 10
    db_pool_size: int = 10
    db_max_overflow: int = 5
    env: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        load_settings_file(env.get("HUB_SETTINGS_FILE"), env)
        host = env.get("HUB_HOST") or "127.0.0.1"
        port = int(env.get("HUB_PORT") or 8022)
        faq_path = env.get("HUB_FAQ_PATH")
        return cls(
            host=host,
            port=port,
            database_url=env.get("HUB_DATABASE_URL") or default_sqlite_url(),
            redis_url=env.get("HUB_REDIS_URL") or None,
            credentials_file=Path(env.get("HUB_CREDENTIALS_FILE") or ROOT / "credentials.yml"),
            public_url=env.get("HUB_PUBLIC_URL") or f"http://{host}:{port}",
            engine=env.get("HUB_ENGINE") or "auto",
            rasa_url=env.get("HUB_RASA_URL") or "http://127.0.0.1:5005",
            rasa_timeout=float(env.get("HUB_RASA_TIMEOUT") or 10.0),
            nlu=(env.get("HUB_NLU") or "auto").strip().lower(),
            nlu_timeout=float(env.get("HUB_NLU_TIMEOUT") or 2.0),
            faq_path=Path(faq_path) if faq_path else None,
            faq_poll_interval=float(env.get("HUB_FAQ_POLL_INTERVAL") or 2.0),
            faq_semantic=_bool(env.get("HUB_FAQ_SEMANTIC"), True),
            faq_lexicon=(env.get("HUB_FAQ_LEXICON") or "").strip() or None,
            faq_embeddings=_embeddings_path(env),
            media_dir=Path(env.get("HUB_MEDIA_DIR") or ROOT / "var" / "media"),
            hotline_name=env.get("HUB_HOTLINE_NAME") or "Tổng đài 1022",
            hotline_phone=(env.get("HUB_HOTLINE_PHONE") or "").strip(),
            hotline_scope_ttl=float(env.get("HUB_HOTLINE_SCOPE_TTL") or 30.0),
            outbox_max_attempts=int(env.get("HUB_OUTBOX_MAX_ATTEMPTS") or 8),
            outbox_base_delay=float(env.get("HUB_OUTBOX_BASE_DELAY") or 1.0),
            outbox_max_delay=float(env.get("HUB_OUTBOX_MAX_DELAY") or 300.0),
            outbox_claim_seconds=float(env.get("HUB_OUTBOX_CLAIM_SECONDS") or 12.0),
            outbox_channel_concurrency=int(env.get("HUB_OUTBOX_CHANNEL_CONCURRENCY") or 8),
            outbox_record_seconds=float(env.get("HUB_OUTBOX_RECORD_SECONDS") or 60.0),
            lease_seconds=float(env.get("HUB_LEASE_SECONDS") or 10.0),
            worker_poll_interval=float(env.get("HUB_WORKER_POLL_INTERVAL") or 2.0),
            pipeline_workers=max(1, int(env.get("HUB_PIPELINE_WORKERS") or 8)),
            max_upload_bytes=int(env.get("HUB_MAX_UPLOAD_BYTES") or 10 * 1024 * 1024),
            max_text_chars=_positive_int(env, _TEXT_MAX, 100_000),
            max_text_chars_by_channel=_text_maxima(env),
            log_level=env.get("HUB_LOG_LEVEL") or "INFO",
            secure_cookies=_bool(env.get("HUB_SECURE_COOKIES"), False),
            home=_home(env.get("HUB_HOME")),
            queue_warn_seconds=_positive_int(env, "HUB_QUEUE_WARN_SECONDS", 120),
            queue_late_seconds=_queue_late(env),
            public_page_size=_positive_int(env, "HUB_PUBLIC_PAGE_SIZE", 20),
            lookup_code_limit=_positive_int(env, "HUB_LOOKUP_CODE_LIMIT", 5),
            lookup_address_limit=_positive_int(env, "HUB_LOOKUP_ADDRESS_LIMIT", 20),
            lookup_window_seconds=_positive_int(env, "HUB_LOOKUP_WINDOW_SECONDS", 3600),
            report_emails=tuple(
                a.strip() for a in (env.get("HUB_REPORT_EMAILS") or "").split(",") if a.strip()
            ),
            role=(env.get("HUB_ROLE") or "all").strip().lower(),
            processes=int(env.get("HUB_PROCESSES") or 1),
            worker_nice=_worker_nice(env.get("HUB_WORKER_NICE")),
            db_pool_size=_positive_int(env, "HUB_DB_POOL_SIZE", 10),
            db_max_overflow=int(env.get("HUB_DB_MAX_OVERFLOW") or 5),
            env=env,
        )

    def engine_options(self) -> dict[str, int]:
        """``storage.session.create_engine``'s pool options (SQLite keeps its one connection)."""
        if self.database_url.startswith("sqlite"):
            return {}
        return {"pool_size": self.db_pool_size, "max_overflow": self.db_max_overflow}

    def text_limit(self, channel: str) -> int:
        """How many characters of one inbound message of ``channel`` are stored."""
        return self.max_text_chars_by_channel.get(channel, self.max_text_chars)

    def channel_sections(self) -> dict[str, dict[str, Any]]:
        """credentials.yml with ``${VAR}`` expanded from this settings' environment."""
        if not self.credentials_file.exists():
            return {"webchat": {}}
        raw = yaml.safe_load(self.credentials_file.read_text(encoding="utf-8")) or {}
        if not isinstance(raw, dict):
            raise ValueError(f"{self.credentials_file}: expected a mapping of channels")
        expanded: dict[str, dict[str, Any]] = expand_vars(raw, self.env)
        return expanded


def _worker_nice(raw: str | None) -> int:
    """``HUB_WORKER_NICE``: 0 to 19, unset: 10."""
    value = int(raw) if raw and raw.strip() else 10
    if not 0 <= value <= 19:
        raise ValueError(f"HUB_WORKER_NICE={raw!r}: cần một số từ 0 đến 19")
    return value


def _home(raw: str | None) -> str:
    """``HUB_HOME``: ``webchat`` (unset or empty) or ``console``."""
    home = (raw or "").strip().lower() or "webchat"
    if home not in HOMES:
        raise ValueError(f"HUB_HOME={raw!r}: cần một trong {', '.join(HOMES)}")
    return home


def _queue_late(env: Mapping[str, str]) -> int:
    """``HUB_QUEUE_LATE_SECONDS``: after ``HUB_QUEUE_WARN_SECONDS``, never before it."""
    warn = _positive_int(env, "HUB_QUEUE_WARN_SECONDS", 120)
    late = _positive_int(env, "HUB_QUEUE_LATE_SECONDS", max(300, warn))
    if late < warn:
        raise ValueError(f"HUB_QUEUE_LATE_SECONDS={late} phải không nhỏ hơn HUB_QUEUE_WARN_SECONDS={warn}")
    return late


def _embeddings_path(env: Mapping[str, str]) -> str | None:
    """``HUB_FAQ_EMBEDDINGS``: the file keeping FAQ embeddings across restarts; unset: under
    ``var/``; set and empty: none kept (every start encodes the whole FAQ again)."""
    if "HUB_FAQ_EMBEDDINGS" not in env:
        return str(ROOT / "var" / "faq-embeddings.sqlite3")
    return env["HUB_FAQ_EMBEDDINGS"].strip() or None
