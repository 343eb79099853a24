"""A faithful Facebook Messenger Platform simulator: a real aiohttp server on loopback.

Graph side (what the hub calls):

* ``POST /{version}/me/messages`` and ``/{version}/{page-id}/messages`` — the Send API
  (JSON, or multipart with ``filedata`` for uploads), ``sender_action`` typing_on/off and
  mark_seen; checks ``access_token`` (and ``appsecret_proof`` when given), the 2,000-char
  text limit, ``messaging_type``/``tag`` and the 24 h / 7-day windows like Facebook does;
* ``GET /{version}/{psid}?fields=...`` — the user profile API;
* ``POST``/``GET /{version}/me/messenger_profile`` — the Page's Get Started button and greeting
  (validated as Messenger does, :mod:`devtools.facebook.profile`; kept in ``sim.profile``);
* errors in Graph's shape ``{"error": {"message", "type", "code", "error_subcode",
  "fbtrace_id"}}``, and scripted faults (:class:`Fault`): rate limit 613, HTTP 429, 5xx,
  a proxy's HTML 502, a hang (timeout), expired token 190, 551, 10/2018278.

Webhook side (what Facebook sends the hub): builders for every event type, signed
deliveries (``X-Hub-Signature-256`` over the exact bytes) with several entries and events,
duplicates and out-of-order posting; after a successful send the simulator can post the
``message_echoes`` and ``message_deliveries`` webhooks back like Facebook does. ``tap`` builds
the message a citizen sends by tapping one of the quick replies the Page sent last, and
``get_started`` the postback of the Get Started button.

Standalone demo::

    python -m devtools.facebook --port 9002 --webhook http://127.0.0.1:8080/webhooks/facebook

prints the environment variables to give the hub; ``POST /_sim/citizen`` with
``{"psid": "...", "text": "..."}`` makes a citizen write; ``GET /_sim/sent`` lists what the
hub sent; ``POST /_sim/tap`` with ``{"psid": "...", "button": 0}`` taps a quick reply.
"""

from devtools.facebook.faults import Fault, GraphFailure
from devtools.facebook.server import FacebookSimulator
from devtools.facebook.state import RecordedRequest, SentMessage, User

__all__ = ["FacebookSimulator", "Fault", "GraphFailure", "RecordedRequest", "SentMessage", "User"]
