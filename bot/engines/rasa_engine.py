"""Dialogue engine backed by a Rasa 3.6 process on loopback (see ``bot.rasa_process``).

A citizen message goes to Rasa's REST channel ``POST /webhooks/rest/webhook`` with the
hub's context in ``metadata`` (conversation id, channel, message id, the known contact
``profile``). Rasa answers with the bot's messages; the custom actions it runs call back
into the hub (``/rasa/actions``). A ``custom`` message ``{"handoff": true, ...}`` from
``action_create_ticket`` marks the hand-off to a human (state ``waiting_human``).

Rasa reads the same bounded prefix of a message as the FAQ engine (``faq.bounds``): its
tokenizer and featurizers cost more than linear time on long unbroken words, and a
100,000-character message must not hold a conversation for Rasa's whole timeout. The whole
message stays stored in the hub (and in the conversation the operator sees).

Connection errors, timeouts and non-200 answers raise :class:`EngineUnavailable`, chained
from the cause, so the hub can fall back to the FAQ engine.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import aiohttp

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
            buttons = tuple(
                str(b.get("payload") or b.get("title"))
                for b in message.get("buttons") or []
                if isinstance(b, Mapping) and (b.get("payload") or b.get("title"))
            )
            replies.append(EngineReply(text.strip(), buttons))
    return EngineResult(replies, handoff=handoff, handoff_reason=reason, meta=meta)


class RasaEngine:
    name = "rasa"

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

    async def healthy(self) -> bool:
        try:
            async with self._get_session().get(
                f"{self.base_url}/status", params=self._params(), timeout=self.timeout
            ) as resp:
                return resp.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False
