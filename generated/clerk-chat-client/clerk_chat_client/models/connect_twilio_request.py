from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.connect_twilio_request_direction import ConnectTwilioRequestDirection
from ..types import UNSET, Unset

T = TypeVar("T", bound="ConnectTwilioRequest")


@_attrs_define
class ConnectTwilioRequest:
    """
    Attributes:
        inbox_external_id (str): External ID of the inbox to connect the call to Example: inbox-123.
        direction (ConnectTwilioRequestDirection | Unset): Direction of the call Default:
            ConnectTwilioRequestDirection.INBOUND.
    """

    inbox_external_id: str
    direction: ConnectTwilioRequestDirection | Unset = ConnectTwilioRequestDirection.INBOUND
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        inbox_external_id = self.inbox_external_id

        direction: str | Unset = UNSET
        if not isinstance(self.direction, Unset):
            direction = self.direction.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "inboxExternalId": inbox_external_id,
            }
        )
        if direction is not UNSET:
            field_dict["direction"] = direction

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        inbox_external_id = d.pop("inboxExternalId")

        _direction = d.pop("direction", UNSET)
        direction: ConnectTwilioRequestDirection | Unset
        if isinstance(_direction, Unset):
            direction = UNSET
        else:
            direction = ConnectTwilioRequestDirection(_direction)

        connect_twilio_request = cls(
            inbox_external_id=inbox_external_id,
            direction=direction,
        )

        connect_twilio_request.additional_properties = d
        return connect_twilio_request

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
