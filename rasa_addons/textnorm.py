"""Text normalisation shared with the FAQ engine, loaded lazily with a fallback.

The FAQ engine's ``faq/normalize.py`` (NFC, canonical tone marks, teencode expansion,
diacritic folding) is the reference. It is loaded the first time it is needed:

1. ``import faq.normalize`` (the repository root is on ``PYTHONPATH`` when the hub starts
   Rasa);
2. failing that (``faq/__init__.py`` may one day import 3.11-only code), the file
   ``faq/normalize.py`` next to this package is loaded on its own;
3. failing that, a small built-in normaliser (NFC, lower case, folding, a few teencode
   tokens) keeps the tokenizer working; :func:`backend` says which one is in use.

Python 3.10 compatible: no ``X | Y`` unions at runtime, no 3.11-only modules.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

logger = logging.getLogger(__name__)

_FAQ_NORMALIZE_FILE = Path(__file__).resolve().parent.parent / "faq" / "normalize.py"

_FALLBACK_TEENCODE: dict[str, str] = {
    "ko": "không",
    "k": "không",
    "kh": "không",
    "hok": "không",
    "dc": "được",
    "đc": "được",
    "cb": "cán bộ",
    "sdt": "số điện thoại",
    "sđt": "số điện thoại",
    "ng": "người",
    "mk": "mình",
    "m": "mình",
    "e": "em",
    "a": "anh",
    "j": "gì",
    "r": "rồi",
    "nc": "nói chuyện",
    "tks": "cảm ơn",
    "thanks": "cảm ơn",
    "thank": "cảm ơn",
    "ok": "ok",
    "oke": "ok",
    "uk": "ừ",
    "uh": "ừ",
    "vs": "với",
    "bn": "bao nhiêu",
    "ntn": "như thế nào",
}

_WORD_RE = re.compile(r"\w+", re.UNICODE)

_module: ModuleType | None = None
_backend = "unloaded"


def _load_from_file() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_faq_normalize_standalone", _FAQ_NORMALIZE_FILE)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {_FAQ_NORMALIZE_FILE}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load() -> ModuleType | None:
    global _module, _backend
    if _backend != "unloaded":
        return _module
    loaders: list[tuple[str, Callable[[], ModuleType]]] = [
        ("faq.normalize", lambda: importlib.import_module("faq.normalize")),
        ("faq/normalize.py", _load_from_file),
    ]
    for name, loader in loaders:
        try:
            module = loader()
            module.normalize("thử")  # the data files load too
            module.fold("thử")
        except Exception as err:
            logger.info("FAQ normaliser via %s unavailable: %s", name, err)
            continue
        _module, _backend = module, name
        return module
    logger.warning("faq.normalize unavailable: the built-in fallback normaliser is used")
    _backend = "builtin"
    return None


def backend() -> str:
    """Which normaliser is in use: ``faq.normalize``, ``faq/normalize.py`` or ``builtin``."""
    _load()
    return _backend


def _builtin_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped.replace("đ", "d"))


def fold(text: str) -> str:
    """Lower case without diacritics (``đ`` -> ``d``)."""
    module = _load()
    if module is not None:
        return str(module.fold(text))
    return _builtin_fold(text)


# Hotline-dialogue shorthand the FAQ table does not carry (yet): applied after it.
_SUPPLEMENT: dict[str, str] = {"cb": "cán bộ", "cbo": "cán bộ", "nv": "nhân viên"}


def _supplement(text: str) -> str:
    return _WORD_RE.sub(lambda m: _SUPPLEMENT.get(m.group(0), m.group(0)), text)


def normalize(text: str) -> str:
    """NFC, lower case, canonical tones, teencode expanded (preferred reading)."""
    module = _load()
    if module is not None:
        return _supplement(str(module.normalize(text)))
    lowered = unicodedata.normalize("NFC", text).lower()
    return _supplement(_WORD_RE.sub(lambda m: _FALLBACK_TEENCODE.get(m.group(0), m.group(0)), lowered))


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese diacritic (or ``đ``)."""
    return fold(text) != unicodedata.normalize("NFC", text).lower()


def key(text: str) -> str:
    """The matching key of one word: normalised (teencode expanded), then folded."""
    return fold(normalize(text))
