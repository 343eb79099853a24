"""Rasa 3.6 on loopback (see ``bot.rasa_process``), two ways.

:class:`RasaNlu` is how the hub uses Rasa by default: ``POST /model/parse`` reads the
dialogue act (intent, its confidence and ranking) and the entities of one message, with no
tracker change; the hub's own policy (``bot.engines.conversation_engine``) decides.

:class:`RasaEngine` (``HUB_ENGINE=rasa-dialogue``, kept for comparison) lets Rasa run the
whole dialogue: a citizen message goes to Rasa's REST channel ``POST /webhooks/rest/webhook`` with the
hub's context in ``metadata`` (conversation id, channel, message id, the known contact
``profile``). Rasa answers with the bot's messages; the custom actions it runs call back
into the hub (``/rasa/actions``). A ``custom`` message ``{"handoff": true, ...}`` from
``action_create_ticket`` marks the hand-off to a human (state ``waiting_human``).

Rasa reads the same bounded prefix of a message as the FAQ engine (``faq.bounds``): its
tokenizer and featurizers cost more than linear time on long unbroken words, and a
100,000-character message must not hold a conversation for Rasa's whole timeout. The whole
message stays stored in the hub (and in the conversation the operator sees).

Connection errors, timeouts and non-200 answers raise :class:`EngineUnavailable`, chained
from the cause, so the hub can fall back: the conversation engine to its own cues, the
Rasa dialogue engine to the FAQ engine.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import aiohttp

from actions.dialogue import Button, Entity, Parse
from bot.engine import EngineReply, EngineRequest, EngineResult, EngineUnavailable
from faq.bounds import bound_query

log = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:5005"


def parse_rest_reply(messages: Sequence[Mapping[str, Any]]) -> EngineResult:
    """Rasa REST channel output -> EngineResult (texts with button payloads, hand-off flag)."""
    replies: list[EngineReply] = []
    handoff = False
    reason: str | None = None
    meta: dict[str, Any] = {}
    for message in messages:
        custom = message.get("custom")
        if isinstance(custom, Mapping) and custom.get("handoff"):
            handoff = True
            reason = str(custom.get("reason") or "") or None
            if custom.get("ticket_code"):
                meta["ticket_code"] = str(custom["ticket_code"])
        text = message.get("text")
        if isinstance(text, str) and text.strip():
            buttons = tuple(b for raw in message.get("buttons") or [] if (b := _button(raw)) is not None)
            replies.append(EngineReply(text.strip(), buttons))
    return EngineResult(replies, handoff=handoff, handoff_reason=reason, meta=meta)


def _button(raw: Any) -> Button | None:
    """A Rasa button ``{"title", "payload"}``; either one stands for the other when missing."""
    if not isinstance(raw, Mapping):
        return None
    title, payload = raw.get("title"), raw.get("payload")
    if not (title or payload):
        return None
    return Button(str(title or payload), str(payload or title))


def parse_nlu(body: Any) -> Parse:
    """Rasa's ``/model/parse`` answer -> :class:`Parse` (``source="rasa"``)."""
    if not isinstance(body, Mapping):
        raise EngineUnavailable("Rasa /model/parse did not return an object")
    raw_intent = body.get("intent")
    intent: Mapping[str, Any] = raw_intent if isinstance(raw_intent, Mapping) else {}
    ranking = tuple(
        (str(r["name"]), _float(r.get("confidence")))
        for r in body.get("intent_ranking") or []
        if isinstance(r, Mapping) and r.get("name")
    )
    entities = tuple(
        Entity(str(e["entity"]), str(e.get("value") or ""), _int(e.get("start")), _int(e.get("end")))
        for e in body.get("entities") or []
        if isinstance(e, Mapping) and e.get("entity") and e.get("value") is not None
    )
    name = intent.get("name")
    return Parse(
        intent=str(name) if name else None,
        confidence=_float(intent.get("confidence")) if name else 0.0,
        entities=entities,
        ranking=ranking,
        source="rasa",
    )


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class _RasaHttp:
    """Rasa's HTTP API on loopback: one session, the optional token, errors as
    :class:`EngineUnavailable` chained from the cause."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        timeout: float = 10.0,
        auth_token: str | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.auth_token = auth_token
        self._session = session
        self._own_session = session is None

    def _params(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        params = dict(extra or {})
        if self.auth_token:
            params["token"] = self.auth_token
        return params

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
            self._own_session = True
        return self._session

    async def close(self) -> None:
        if self._own_session and self._session is not None and not self._session.closed:
            await self._session.close()

    async def _post(self, path: str, payload: Any, params: Mapping[str, str] | None = None) -> Any:
        url = f"{self.base_url}{path}"
        try:
            async with self._get_session().post(
                url, json=payload, params=self._params(params), timeout=self.timeout
            ) as resp:
                body = await resp.text()
                if resp.status != 200:
                    raise EngineUnavailable(f"Rasa answered HTTP {resp.status} on {path}: {body[:200]}")
                return json.loads(body) if body else None
        except (aiohttp.ClientError, TimeoutError) as err:
            raise EngineUnavailable(f"Rasa unreachable at {url}: {err!r}") from err
        except json.JSONDecodeError as err:
            raise EngineUnavailable(f"Rasa sent invalid JSON on {path}") from err

    async def healthy(self) -> bool:
        try:
            async with self._get_session().get(
                f"{self.base_url}/status", params=self._params(), timeout=self.timeout
            ) as resp:
                return resp.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False


class RasaNlu(_RasaHttp):
    """Dialogue acts and entities of one message from Rasa's NLU (``POST /model/parse``).

    Rasa is started with ``--enable-api`` (``bot.rasa_process``); parsing changes no tracker.
    """

    name = "rasa"

    async def parse(self, text: str) -> Parse:
        return parse_nlu(await self._post("/model/parse", {"text": bound_query(text)}))


class RasaEngine(_RasaHttp):
    """Rasa runs the whole dialogue through its REST channel (``HUB_ENGINE=rasa-dialogue``)."""

    name = "rasa"

    async def respond(self, req: EngineRequest) -> EngineResult:
        payload = {
            "sender": req.sender_id,
            "message": bound_query(req.text),
            "metadata": {
                "conversation_id": req.conversation_id,
                "channel": req.channel,
                "message_id": req.message_id,
                "attachments": req.attachments,
                "profile": {k: v for k, v in dict(req.profile).items() if v},
            },
        }
        body = await self._post("/webhooks/rest/webhook", payload)
        if not isinstance(body, list):
            raise EngineUnavailable("Rasa REST channel did not return a list")
        return parse_rest_reply([m for m in body if isinstance(m, Mapping)])

    async def resume(self, sender_id: str) -> None:
        """Operator hand-back: un-pause the conversation and listen (Rasa needs both events)."""
        events = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
        path = f"/conversations/{quote(sender_id, safe='')}/tracker/events"
        await self._post(path, events, {"include_events": "NONE"})
