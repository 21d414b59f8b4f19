"""Contains all the data models used in inputs/outputs.

Each model's module is imported the first time the model is looked up here (`from
clerk_chat_client.models import X`, `clerk_chat_client.models.X`), so using one operation
imports the models it needs and no others, however large the API."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .connect_twilio_request import ConnectTwilioRequest
    from .connect_twilio_request_direction import ConnectTwilioRequestDirection
    from .twilio_connector_object import TwilioConnectorObject
    from .twilio_connector_response import TwilioConnectorResponse

# model name -> its module, relative to this package
_MODULES = {
    "ConnectTwilioRequest": ".connect_twilio_request",
    "ConnectTwilioRequestDirection": ".connect_twilio_request_direction",
    "TwilioConnectorObject": ".twilio_connector_object",
    "TwilioConnectorResponse": ".twilio_connector_response",
}

__all__ = (
    "ConnectTwilioRequest",
    "ConnectTwilioRequestDirection",
    "TwilioConnectorObject",
    "TwilioConnectorResponse",
)

if not TYPE_CHECKING:
    import importlib

    def __getattr__(name: str) -> object:
        """Import the model's module on first lookup; later lookups find the name in globals()."""
        module = _MODULES.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, __name__), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})
