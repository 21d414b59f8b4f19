"""Contains methods for accessing the API: the resources of ClerkChatClient and AsyncClerkChatClient, one per tag"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from ..client import AuthenticatedClient

if TYPE_CHECKING:
    from .twilio import AsyncTwilioResource, TwilioResource


class Resources(AuthenticatedClient):
    """The tags of the API as attributes: `client.twilio`."""

    @cached_property
    def twilio(self) -> TwilioResource:
        """connect"""
        from .twilio import TwilioResource

        return TwilioResource(self)


class AsyncResources(AuthenticatedClient):
    """The tags of the API as attributes (their methods are coroutines): `client.twilio`."""

    @cached_property
    def twilio(self) -> AsyncTwilioResource:
        """connect"""
        from .twilio import AsyncTwilioResource

        return AsyncTwilioResource(self)
