"""Contains endpoint functions for accessing the API: the `twilio` operations, and their resource classes."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Literal
from typing import cast as _cast

import httpx2

from ..._resource import AsyncAPIResource, SyncAPIResource, async_raw_method, raw_method
from ..._resource import as_enum as _as_enum
from ...models.connect_twilio_request import ConnectTwilioRequest
from ...models.connect_twilio_request_direction import ConnectTwilioRequestDirection
from ...models.twilio_connector_response import TwilioConnectorResponse
from ...types import UNSET, Unset
from . import connect as _connect


class TwilioResource(SyncAPIResource):
    """`client.twilio.<operation>(...)`: the operations tagged twilio."""

    @cached_property
    def with_raw_response(self) -> TwilioResourceWithRawResponse:
        """The same methods, returning the generated `Response` (status, headers, content, parsed)."""
        return TwilioResourceWithRawResponse(self)

    def connect(
        self,
        *,
        inbox_external_id: str,
        direction: ConnectTwilioRequestDirection | Literal["inbound", "outbound"] | Unset = UNSET,
        timeout: httpx2.Timeout | float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> TwilioConnectorResponse:
        """Twilio MediaStreams

        Creates a dedicated websocket URL for a provided inbox

        `POST /public/twilio-connector/connect`.

        Args:
            inbox_external_id (str): External ID of the inbox to connect the call to
                (`inboxExternalId` in the JSON body)
            direction (ConnectTwilioRequestDirection | Literal["inbound", "outbound"] | Unset):
                Direction of the call
            timeout: This call's per-attempt timeout (seconds or an httpx2.Timeout) instead of the client's.
            extra_headers: Headers for this call only (they win over generated ones).

        Returns:
            TwilioConnectorResponse

        Raises:
            APIStatusError: For a status >= 400, after retries (a subclass per status).
            APIConnectionError: When the server could not be reached (APITimeoutError on a timeout).
            ResponseValidationError: When a success response does not match the spec.
        """

        _body = ConnectTwilioRequest(
            inbox_external_id=inbox_external_id,
            direction=_as_enum("direction", direction, ConnectTwilioRequestDirection),
        )
        _request = _connect._get_kwargs(
            body=_body,
        )
        return _cast(TwilioConnectorResponse, self._call(_connect, _request, timeout, extra_headers, none_ok=False))


class TwilioResourceWithRawResponse:
    """`client.twilio.with_raw_response.<operation>(...)`: the generated `Response` of each call (of a paginated call: its first page's)."""

    def __init__(self, resource: TwilioResource) -> None:
        raw = resource._raw()
        self.connect = raw_method(raw.connect, _connect._build_response)


class AsyncTwilioResource(AsyncAPIResource):
    """`await client.twilio.<operation>(...)`: the operations tagged twilio, as coroutines."""

    @cached_property
    def with_raw_response(self) -> AsyncTwilioResourceWithRawResponse:
        """The same methods, returning the generated `Response` (status, headers, content, parsed)."""
        return AsyncTwilioResourceWithRawResponse(self)

    async def connect(
        self,
        *,
        inbox_external_id: str,
        direction: ConnectTwilioRequestDirection | Literal["inbound", "outbound"] | Unset = UNSET,
        timeout: httpx2.Timeout | float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> TwilioConnectorResponse:
        """Twilio MediaStreams

        Creates a dedicated websocket URL for a provided inbox

        `POST /public/twilio-connector/connect`.

        Args:
            inbox_external_id (str): External ID of the inbox to connect the call to
                (`inboxExternalId` in the JSON body)
            direction (ConnectTwilioRequestDirection | Literal["inbound", "outbound"] | Unset):
                Direction of the call
            timeout: This call's per-attempt timeout (seconds or an httpx2.Timeout) instead of the client's.
            extra_headers: Headers for this call only (they win over generated ones).

        Returns:
            TwilioConnectorResponse

        Raises:
            APIStatusError: For a status >= 400, after retries (a subclass per status).
            APIConnectionError: When the server could not be reached (APITimeoutError on a timeout).
            ResponseValidationError: When a success response does not match the spec.
        """

        _body = ConnectTwilioRequest(
            inbox_external_id=inbox_external_id,
            direction=_as_enum("direction", direction, ConnectTwilioRequestDirection),
        )
        _request = _connect._get_kwargs(
            body=_body,
        )
        return _cast(
            TwilioConnectorResponse, await self._call(_connect, _request, timeout, extra_headers, none_ok=False)
        )


class AsyncTwilioResourceWithRawResponse:
    """`client.twilio.with_raw_response.<operation>(...)`: the generated `Response` of each call (of a paginated call: its first page's)."""

    def __init__(self, resource: AsyncTwilioResource) -> None:
        raw = resource._raw()
        self.connect = async_raw_method(raw.connect, _connect._build_response)
