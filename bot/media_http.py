"""A media file (a call recording, an attachment) sent to a browser: decrypted while it is
streamed (``storage.media.open_media``), so a large recording is never held in memory."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from storage.media import media_keys, open_media
from storage.media_crypto import Keyring, MediaError

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)


def keys_of(settings: Settings) -> Keyring:
    """The media keyring of the hub's settings."""
    return media_keys(settings.env, settings.media_dir)


async def media_response(
    request: web.Request, path: Path, keys: Keyring, headers: Mapping[str, str]
) -> web.StreamResponse:
    """Stream ``path``'s plaintext. A file that does not decrypt raises ``MediaError`` before
    the response starts (its first chunk is checked); a later bad chunk ends the response
    short (its length is announced, so the client sees it is incomplete) and is logged."""
    media = await open_media(path, keys)
    response = web.StreamResponse(headers=headers)
    response.content_length = media.size
    await response.prepare(request)
    try:
        async for chunk in media:
            await response.write(chunk)
    except MediaError as err:  # the response has started: only the connection can be cut
        log.error("media %s: %s; ngừng gửi", path, err)
        raise ConnectionResetError(str(err)) from err
    await response.write_eof()
    return response
