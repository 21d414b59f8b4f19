from typing import Any, cast

import httpx2

from ... import errors
from ..._credentials import SENDS_KEY
from ..._responses import http_status, json_body, parse_or_raise, parsed_success
from ...client import AuthenticatedClient, Client
from ...models.connect_twilio_request import ConnectTwilioRequest
from ...models.twilio_connector_response import TwilioConnectorResponse
from ...types import Response

_OPERATION = "POST /public/twilio-connector/connect (connect)"


def _get_kwargs(
    *,
    body: ConnectTwilioRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/public/twilio-connector/connect",
        "extensions": {SENDS_KEY: True},
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx2.Response
) -> Any | TwilioConnectorResponse | None:
    if response.status_code == 200:
        response_200 = TwilioConnectorResponse.from_dict(json_body(response))

        return response_200

    if response.status_code == 400:
        response_400 = cast(Any, None)
        return response_400

    if response.status_code == 401:
        response_401 = cast(Any, None)
        return response_401

    if response.status_code == 403:
        response_403 = cast(Any, None)
        return response_403

    if response.status_code == 404:
        response_404 = cast(Any, None)
        return response_404

    if response.status_code == 422:
        response_422 = cast(Any, None)
        return response_422

    if response.status_code == 429:
        response_429 = cast(Any, None)
        return response_429

    if response.status_code == 500:
        response_500 = cast(Any, None)
        return response_500

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx2.Response
) -> Response[Any | TwilioConnectorResponse]:
    return Response(
        status_code=http_status(response),
        content=response.content,
        headers=response.headers,
        parsed=parse_or_raise(_OPERATION, response, _parse_response, client),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: ConnectTwilioRequest,
) -> Response[Any | TwilioConnectorResponse]:
    """Twilio MediaStreams

     Creates a dedicated websocket URL for a provided inbox

    Args:
        body (ConnectTwilioRequest):

    Raises:
        APIStatusError: With ClerkChatClient, for a status >= 400 after retries (a subclass per status; not raised with raise_on_error=False).
        APIConnectionError: With ClerkChatClient, when the server could not be reached (APITimeoutError on a timeout).
        ResponseValidationError: If a success response does not match the spec.
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.

    Returns:
        Response[Any | TwilioConnectorResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: ConnectTwilioRequest,
) -> TwilioConnectorResponse:
    """Twilio MediaStreams

     Creates a dedicated websocket URL for a provided inbox

    Args:
        body (ConnectTwilioRequest):

    Raises:
        APIStatusError: With ClerkChatClient, for a status >= 400 after retries (a subclass per status).
        APIConnectionError: With ClerkChatClient, when the server could not be reached (APITimeoutError on a timeout).
        ResponseValidationError: If a success response does not match the spec.
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.

    Returns:
        TwilioConnectorResponse
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return cast(TwilioConnectorResponse, parsed_success(_OPERATION, response, _parse_response, client, none_ok=False))


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: ConnectTwilioRequest,
) -> Response[Any | TwilioConnectorResponse]:
    """Twilio MediaStreams

     Creates a dedicated websocket URL for a provided inbox

    Args:
        body (ConnectTwilioRequest):

    Raises:
        APIStatusError: With ClerkChatClient, for a status >= 400 after retries (a subclass per status; not raised with raise_on_error=False).
        APIConnectionError: With ClerkChatClient, when the server could not be reached (APITimeoutError on a timeout).
        ResponseValidationError: If a success response does not match the spec.
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.

    Returns:
        Response[Any | TwilioConnectorResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: ConnectTwilioRequest,
) -> TwilioConnectorResponse:
    """Twilio MediaStreams

     Creates a dedicated websocket URL for a provided inbox

    Args:
        body (ConnectTwilioRequest):

    Raises:
        APIStatusError: With ClerkChatClient, for a status >= 400 after retries (a subclass per status).
        APIConnectionError: With ClerkChatClient, when the server could not be reached (APITimeoutError on a timeout).
        ResponseValidationError: If a success response does not match the spec.
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.

    Returns:
        TwilioConnectorResponse
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return cast(TwilioConnectorResponse, parsed_success(_OPERATION, response, _parse_response, client, none_ok=False))
