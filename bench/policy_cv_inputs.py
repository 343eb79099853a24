"""The policy's inputs for ``bench/policy_cv.py``, computed once and cached under ``var/``.

* FAQ views (:class:`actions.dialogue.FaqView`): per FAQ set, the engine is built as the hub
  builds it (``python -m faq import FILE --activate`` stores one version per agency column
  value; ``bot.faq_store.active_entries`` lists the most recently activated version first;
  ``FaqEngine.build(entries, EngineConfig())``: the semantic model on) and every text is read
  through ``faq.bounds.bound_query`` and ``bot.engines.conversation_engine.faq_view``.
  Cached in ``var/policy_cv_faq.json`` under a fingerprint of the FAQ file and the ``faq``
  package (code and data): a changed engine computes them again.
* Rasa parses: ``POST /model/parse`` of the running server (raw answers cached in
  ``var/policy_cv_rasa.json`` per model file), converted by ``bot.engines.rasa_engine.parse_nlu``.
* The cues' parse (:func:`actions.cues.read_acts`) is NOT cached: it depends on
  ``cues.REPORT_MIN``, one of the constants being fitted.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from actions.dialogue import FaqView, Parse
from actions.services import DecisionKind, FaqAnswer, FaqDecision, FaqSuggestion
from faq.bounds import bound_query

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var"
FAQ_CACHE = VAR / "policy_cv_faq.json"
RASA_CACHE = VAR / "policy_cv_rasa.json"


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- FAQ views


def fingerprint(faq_csv: Path) -> str:
    """The FAQ file and every file of the ``faq`` package (the engine's code and data)."""
    h = hashlib.sha256(faq_csv.read_bytes())
    for p in sorted((ROOT / "faq").rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(ROOT)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def hub_entries(faq_csv: Path) -> list[Any]:
    """The active entries in the order the hub lists them after ``faq import --activate``."""
    from faq.importer import parse_file

    entries = parse_file(faq_csv, default_agency="").entries
    groups: dict[str, list[Any]] = {}
    for e in entries:
        groups.setdefault(e.agency, []).append(e)
    # versions are imported (and activated) in sorted agency order: the last activated is preferred
    return [e for agency in sorted(groups, reverse=True) for e in groups[agency]]


def view_to_json(v: FaqView) -> dict[str, Any]:
    d = v.decision
    a = d.answer
    return {
        "kind": d.kind.value,
        "score": v.score,
        "answer": [a.faq_id, a.question, a.answer, a.agency] if a else None,
        "suggestions": [[s.faq_id, s.question] for s in d.suggestions],
    }


def view_from_json(j: dict[str, Any]) -> FaqView:
    answer = FaqAnswer(*j["answer"]) if j["answer"] else None
    suggestions = tuple(FaqSuggestion(i, q) for i, q in j["suggestions"])
    return FaqView(FaqDecision(DecisionKind(j["kind"]), answer, suggestions), float(j["score"]))


class FaqViews:
    """FAQ views of one FAQ set, from the cache or the engine (built on first need)."""

    def __init__(self, name: str, faq_csv: Path, cache: dict[str, Any]) -> None:
        self.name, self.faq_csv = name, faq_csv
        self.key = f"{name}:{fingerprint(faq_csv)}"
        self.views: dict[str, dict[str, Any]] = cache.setdefault(self.key, {})
        self.engine: Any = None
        self.entries = {e.id: e for e in hub_entries(faq_csv)}
        self.computed = 0
        self._objects: dict[str, FaqView] = {}

    def _engine(self) -> Any:
        if self.engine is None:
            os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from faq.engine import EngineConfig, FaqEngine

            t = time.perf_counter()
            self.engine = FaqEngine.build(list(self.entries.values()), EngineConfig())
            _log(f"  FAQ engine {self.name}: built in {time.perf_counter() - t:.1f} s")
        return self.engine

    def get(self, text: str) -> FaqView:
        view = self._objects.get(text)
        if view is None:
            view = self._objects[text] = self._get(text)
        return view

    def _get(self, text: str) -> FaqView:
        read = bound_query(text)
        j = self.views.get(read)
        if j is None:
            from bot.engines.conversation_engine import faq_view

            engine = self._engine()
            j = view_to_json(faq_view(engine.decide(read), engine))
            self.views[read] = j
            self.computed += 1
        return view_from_json(j)

    def answer_of(self, faq_id: str) -> FaqAnswer | None:
        from bot.engines.conversation_engine import answer_of_entry

        entry = self.entries.get(faq_id)
        return answer_of_entry(entry) if entry is not None else None


# ---------------------------------------------------------------------------- Rasa


class RasaParses:
    """Rasa's ``/model/parse`` answers, cached per model file."""

    def __init__(self, url: str, cache: dict[str, Any]) -> None:
        self.url = url.rstrip("/")
        status = self._call("/status", None)
        self.model = str(status.get("model_file") or "unknown")
        self.bodies: dict[str, Any] = cache.setdefault(self.model, {})
        self.computed = 0
        self._objects: dict[str, Parse] = {}

    def _call(self, path: str, payload: Any) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(self.url + path, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:  # loopback
            return json.loads(resp.read().decode())

    def get(self, text: str) -> Parse:
        parse = self._objects.get(text)
        if parse is None:
            parse = self._objects[text] = self._get(text)
        return parse

    def _get(self, text: str) -> Parse:
        from bot.engines.rasa_engine import parse_nlu

        read = bound_query(text)
        body = self.bodies.get(read)
        if body is None:
            body = self._call("/model/parse", {"text": read})
            self.bodies[read] = body
            self.computed += 1
        return parse_nlu(body)


# ---------------------------------------------------------------------------- caches


def load_cache(path: Path) -> dict[str, Any]:
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except json.JSONDecodeError:
            return {}
    return {}


def save_cache(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def warm(readers: Iterable[Any], texts: list[str], label: str) -> None:
    """Compute every text's input once (progress on stderr while computing)."""
    for reader in readers:
        t = time.perf_counter()
        before = reader.computed
        for i, text in enumerate(texts, 1):
            reader.get(text)
            if reader.computed > before and i % 200 == 0:
                _log(f"  {label} {getattr(reader, 'name', 'rasa')}: {i}/{len(texts)}")
        if reader.computed > before:
            _log(
                f"  {label} {getattr(reader, 'name', 'rasa')}: {reader.computed - before} computed "
                f"in {time.perf_counter() - t:.1f} s"
            )
