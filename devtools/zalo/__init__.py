"""A faithful Zalo OA simulator: a real aiohttp server on loopback.

It implements what the hub's Zalo connector talks to:

* ``POST /v3.0/oa/message/cs`` (header ``access_token``): consultation messages (text up to
  2,000 characters, image by ``attachment_id`` or URL, file by upload ``token``, a text with a
  button template: :mod:`devtools.zalo.buttons`); errors come as HTTP 200 with
  ``error != 0`` like Zalo's;
* ``POST /v2.0/oa/upload/image`` (jpg/png, <= 1 MB) -> ``attachment_id`` and
  ``POST /v2.0/oa/upload/file`` (pdf/doc/docx, <= 5 MB) -> ``token``;
* ``GET /v3.0/oa/user/detail?data={"user_id": ...}``;
* ``POST /v4/oa/access_token`` (header ``secret_key``, form ``refresh_token``, ``app_id``,
  ``grant_type=refresh_token``) with real rotation: a refresh token works once, and the access
  token it replaces stops working.

Tests script faults (``sim.script(Fault.rate_limited(), Fault.http(503), Fault.hang(), ...)``):
each fault is consumed by the next matching request. Every accepted message is recorded in
``sim.sent``; ``sim.refresh_calls`` counts OAuth refreshes.

It also plays Zalo's side of the webhook: builds events shaped like Zalo's, signs them exactly
as Zalo does (``X-ZEvent-Signature: mac=sha256(app_id + body + timestamp + oa_secret_key)``)
and POSTs them (duplicates and out-of-order deliveries included). With ``webhook_url`` set it
also sends the ``oa_send_*`` echo and ``user_received_message`` after each API send, and
``console_send`` imitates staff typing a reply in Zalo's OA console. ``tap`` delivers what Zalo
sends when the person taps a query button of the last message the OA sent them: a signed
``user_send_text`` whose text is the button's payload.

Announcements (:mod:`devtools.zalo.promotion`, :mod:`devtools.zalo.articles`), with Zalo's
rules on the simulator's clock at ``utc_offset_hours`` (default +7):
``POST /v3.0/oa/message/promotion`` (recorded in ``sim.promotions``),
``POST /v3.0/oa/quota/message``, ``GET /v3.0/oa/user/getlist``, ``POST /v2.0/article/create``,
``POST /v2.0/article/verify`` and ``POST /v2.0/oa/message`` (recorded in
``sim.article_broadcasts``). ``sim.add_followers(n)`` adds followers; ``SimUser`` has
``following`` and ``restricted_promotions``.

Standalone demo: ``python -m devtools.zalo --port 9001 --webhook URL`` (see
docs/zalo.md): it prints the environment variables to give the hub and offers
``POST /_sim/say`` (a citizen writes), ``POST /_sim/console`` (staff reply in the console),
``GET /_sim/sent`` and ``POST /_sim/faults``.
"""

from devtools.zalo.articles import ArticleBroadcast, SimArticle
from devtools.zalo.promotion import SentPromotion
from devtools.zalo.server import ZaloSimulator
from devtools.zalo.state import Delivery, Fault, SentMessage, SimUser, Upload

__all__ = [
    "ArticleBroadcast",
    "Delivery",
    "Fault",
    "SentMessage",
    "SentPromotion",
    "SimArticle",
    "SimUser",
    "Upload",
    "ZaloSimulator",
]
