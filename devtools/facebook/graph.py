"""The Graph side the hub calls: the Send API, sender actions, the user profile API and the
Page's Messenger Profile, checked as Facebook checks them (tokens, ``appsecret_proof``, text
limit, ``messaging_type``/``tag``, the 24 h and 7-day windows)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from aiohttp import web

from devtools.facebook.faults import FAULTS, Fault, GraphFailure, invalid
from devtools.facebook.profile import check_profile
from devtools.facebook.state import (
    ATTACHMENT_TYPES,
    DAY,
    MESSAGING_TYPES,
    SENDER_ACTIONS,
    TAGS,
    RecordedRequest,
    SentMessage,
    User,
)
from devtools.facebook.webhook import WebhookSide


class GraphApi(WebhookSide):
    """The Graph API request handlers (routed by :class:`~devtools.facebook.FacebookSimulator`)."""

    def _check_token(self, request: web.Request) -> None:
        token = request.query.get("access_token")
        auth = request.headers.get("Authorization", "")
        if token is None and auth.startswith(("Bearer ", "OAuth ")):
            token = auth.split(" ", 1)[1]
        if not token:
            raise GraphFailure(400, 2500, "An active access token must be used to query information.")
        if not hmac.compare_digest(token.encode(), self.page_access_token.encode()):
            raise GraphFailure(400, 190, "Invalid OAuth access token - Cannot parse access token")
        proof = request.query.get("appsecret_proof")
        if proof is not None:
            good = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(proof.encode(), good.encode()):
                raise invalid("Invalid appsecret_proof provided in the API argument")

    async def _read_send_body(self, request: web.Request) -> tuple[dict[str, Any], bytes | None]:
        if request.content_type == "multipart/form-data":
            form = await request.post()
            body: dict[str, Any] = {}
            upload: bytes | None = None
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    upload = value.file.read()
                elif key in ("recipient", "message"):
                    try:
                        body[key] = json.loads(str(value))
                    except ValueError:
                        raise invalid(f"param {key} must be JSON") from None
                else:
                    body[key] = str(value)
            return body, upload
        try:
            data = await request.json()
        except ValueError:
            raise invalid("The request body must be JSON") from None
        if not isinstance(data, dict):
            raise invalid("The request body must be a JSON object")
        return data, None

    async def _messages(self, request: web.Request) -> web.Response:
        record = RecordedRequest("POST", request.path, dict(request.query), None)
        self.requests.append(record)
        try:
            self._check_token(request)
            node = request.match_info["node"]
            if node not in ("me", self.page_id):
                raise invalid(f"Unsupported post request. Object with ID '{node}' does not exist", 33)
            body, upload = await self._read_send_body(request)
            record.body = body
            # scripted faults hit message sends; typing indicators have their own scope
            faulty = await self._apply_fault("action" if "sender_action" in body else "send")
            if faulty is not None:
                record.status = faulty.status
                return faulty
            response = self._accept(body, upload)
        except GraphFailure as failure:
            record.status = failure.status
            return failure.response()
        record.status = 200
        return web.json_response(response)

    def _accept(self, body: dict[str, Any], upload: bytes | None) -> dict[str, Any]:
        recipient = body.get("recipient")
        psid = recipient.get("id") if isinstance(recipient, dict) else None
        if not isinstance(psid, str) or not psid:
            raise invalid("The parameter recipient is required")
        user = self.users.get(psid)
        if user is None:
            raise invalid("No matching user found", 2018001)
        action = body.get("sender_action")
        if action is not None:
            if action not in SENDER_ACTIONS or "message" in body:
                raise invalid("Param sender_action must be one of typing_on, typing_off, mark_seen")
            self.actions.append((psid, str(action)))
            return {"recipient_id": psid}
        message = body.get("message")
        if not isinstance(message, dict):
            raise invalid("The parameter message is required")
        mtype, tag = body.get("messaging_type"), body.get("tag")
        self._check_message(message, upload)
        self._check_window(user, mtype, tag)
        mid = f"m_sim{next(self._mids):06d}{secrets.token_hex(6)}"
        sent = SentMessage(psid, mtype, tag, message, mid, self.clock(), upload)
        self.sent.append(sent)
        self._after_send(sent)
        return {"recipient_id": psid, "message_id": mid}

    @staticmethod
    def _check_message(message: dict[str, Any], upload: bytes | None) -> None:
        text, attachment = message.get("text"), message.get("attachment")
        if (text is None) == (attachment is None):
            raise invalid("Must send either message or attachment")
        if text is not None and (not isinstance(text, str) or not text.strip()):
            raise invalid("param message[text] must be a non-empty UTF-8 encoded string")
        if isinstance(text, str) and len(text) > 2000:
            raise invalid("Length of param message[text] must be less than or equal to 2000")
        if attachment is not None:
            if not isinstance(attachment, dict) or attachment.get("type") not in ATTACHMENT_TYPES:
                raise invalid(
                    "param message[attachment][type] must be one of image, video, audio, file, template"
                )
            payload = attachment.get("payload")
            has_source = isinstance(payload, dict) and (payload.get("url") or payload.get("attachment_id"))
            if not has_source and upload is None and attachment.get("type") != "template":
                raise invalid("Attachment needs a url, an attachment_id or filedata", 2018047)
        metadata = message.get("metadata")
        if metadata is not None and (not isinstance(metadata, str) or len(metadata) > 1000):
            raise invalid("param message[metadata] must be a string of at most 1000 characters")
        quick = message.get("quick_replies")
        if quick is not None:
            if not isinstance(quick, list) or not 1 <= len(quick) <= 13:
                raise invalid("param message[quick_replies] must be an array of 1 to 13 elements")
            for q in quick:
                if not isinstance(q, dict) or q.get("content_type") != "text":
                    raise invalid("quick_replies[].content_type must be text")
                if not isinstance(q.get("title"), str) or len(q["title"]) > 20:
                    raise invalid("quick_replies[].title must be at most 20 characters")

    def _check_window(self, user: User, mtype: Any, tag: Any) -> None:
        if mtype not in MESSAGING_TYPES:
            raise invalid(
                "The parameter messaging_type is required and must be RESPONSE, UPDATE or MESSAGE_TAG"
            )
        if mtype == "MESSAGE_TAG" and tag not in TAGS:
            raise invalid("Param tag must be one of HUMAN_AGENT, CONFIRMED_EVENT_UPDATE, ...")
        if user.last_inbound is None:
            raise FAULTS[Fault.OUTSIDE_WINDOW]()  # the person never wrote to the Page
        age = self.clock() - user.last_inbound
        limit = 7 * DAY if (mtype == "MESSAGE_TAG" and tag == "HUMAN_AGENT") else DAY
        if age > limit:
            raise FAULTS[Fault.OUTSIDE_WINDOW]()

    async def _profile(self, request: web.Request) -> web.Response:
        record = RecordedRequest("GET", request.path, dict(request.query), None)
        self.requests.append(record)
        try:
            self._check_token(request)
            faulty = await self._apply_fault("profile")
            if faulty is not None:
                record.status = faulty.status
                return faulty
            psid = request.match_info["node"]
            user = self.users.get(psid)
            if user is None:
                raise invalid(
                    f"Unsupported get request. Object with ID '{psid}' does not exist, cannot be loaded "
                    "due to missing permissions, or does not support this operation",
                    33,
                )
            fields = [f for f in request.query.get("fields", "first_name,last_name").split(",") if f]
            known = {
                "id": psid,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "name": " ".join(p for p in (user.first_name, user.last_name) if p),
                "profile_pic": user.profile_pic or f"{self.base_url}/pics/{psid}.jpg",
            }
            unknown = [f for f in fields if f not in known]
            if unknown:
                raise invalid(f"Tried accessing nonexisting field ({unknown[0]}) on node type (User)")
            data = {f: known[f] for f in fields}
            data["id"] = psid
        except GraphFailure as failure:
            record.status = failure.status
            return failure.response()
        record.status = 200
        return web.json_response(data)

    async def _set_messenger_profile(self, request: web.Request) -> web.Response:
        record = RecordedRequest("POST", request.path, dict(request.query), None)
        self.requests.append(record)
        try:
            self._check_token(request)
            body, _ = await self._read_send_body(request)
            record.body = body
            try:
                self.profile.update(check_profile(body))
            except ValueError as err:
                raise invalid(str(err).removeprefix("(#100) ")) from None
        except GraphFailure as failure:
            record.status = failure.status
            return failure.response()
        record.status = 200
        return web.json_response({"result": "success"})

    async def _get_messenger_profile(self, request: web.Request) -> web.Response:
        try:
            self._check_token(request)
        except GraphFailure as failure:
            return failure.response()
        fields = [f for f in request.query.get("fields", "").split(",") if f]
        found = {f: self.profile[f] for f in fields if f in self.profile}
        return web.json_response({"data": [found] if found else []})
