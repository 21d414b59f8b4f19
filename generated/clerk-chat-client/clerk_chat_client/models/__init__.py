"""Contains all the data models used in inputs/outputs"""

from .connect_twilio_request import ConnectTwilioRequest
from .connect_twilio_request_direction import ConnectTwilioRequestDirection
from .twilio_connector_object import TwilioConnectorObject
from .twilio_connector_response import TwilioConnectorResponse

__all__ = (
    "ConnectTwilioRequest",
    "ConnectTwilioRequestDirection",
    "TwilioConnectorObject",
    "TwilioConnectorResponse",
)
