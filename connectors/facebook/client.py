"""A thin Graph API client on the hub's shared :class:`aiohttp.ClientSession`.

Every failure leaves here as one of our :class:`SendError` subclasses, chained ``from`` the
vendor error (:class:`GraphError`) or the network error. The access token goes in the
query string as Graph documents it, with ``appsecret_proof`` so apps that require it work;
neither is ever put into an exception message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import aiohttp

from connectors.base import TransientSendError
from connectors.facebook.errors import parse_graph_error, to_send_error


class GraphClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        graph_base: str,
        access_token: str,
        app_secret: str,
        timeout: float = 15.0,
    ) -> None:
        self._session = session
        self._base = graph_base.rstrip("/")
        self._token = access_token
        self._proof = hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    def _params(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        params = {"access_token": self._token, "appsecret_proof": self._proof}
        if extra:
            params.update(extra)
        return params

    async def post_json(self, path: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        return await self._call("POST", path, json_body=payload)

    async def post_form(self, path: str, form: aiohttp.FormData) -> dict[str, Any]:
        return await self._call("POST", path, form=form)

    async def get(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        return await self._call("GET", path, params=params)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        form: aiohttp.FormData | None = None,
    ) -> dict[str, Any]:
        url = f"{self._base}/{path.lstrip('/')}"
        try:
            async with self._session.request(
                method,
                url,
                params=self._params(params),
                json=json_body,
                data=form,
                timeout=self._timeout,
            ) as resp:
                body = await resp.read()
                status = resp.status
                headers = dict(resp.headers)
        except TimeoutError as err:
            raise TransientSendError(
                f"Facebook không phản hồi sau {self._timeout.total:.0f} giây; sẽ thử gửi lại.",
                code="timeout",
            ) from err
        except aiohttp.ClientError as err:
            raise TransientSendError(
                f"Không kết nối được Facebook ({type(err).__name__}); sẽ thử gửi lại.", code="network"
            ) from err
        if status >= 400:
            graph_err = parse_graph_error(status, body, headers)
            raise to_send_error(graph_err) from graph_err
        try:
            data = json.loads(body)
        except ValueError as err:
            raise TransientSendError(
                "Facebook trả về nội dung không phải JSON; sẽ thử gửi lại.", code="bad_response"
            ) from err
        if isinstance(data, dict) and isinstance(data.get("error"), dict):  # error with HTTP 200
            graph_err = parse_graph_error(status, body, headers)
            raise to_send_error(graph_err) from graph_err
        if not isinstance(data, dict):
            raise TransientSendError("Facebook trả về JSON không phải đối tượng.", code="bad_response")
        return data


__all__ = ["GraphClient"]
