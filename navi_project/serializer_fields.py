"""Serializer fields that hold DRF to Navi's wire format."""

from __future__ import annotations

from rest_framework import serializers


class IsoDateTimeField(serializers.DateTimeField):
    """`2026-05-04T10:00:00+00:00`, as every other Navi endpoint writes times (DRF would write `Z`)."""

    def to_representation(self, value):
        return value.isoformat() if value else None


class StrictBooleanField(serializers.BooleanField):
    """JSON `true` or `false` only: DRF's own also takes "yes", "1", 0 and the like."""

    default_error_messages = {"invalid": "must be true or false"}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid")


class StrictCharField(serializers.CharField):
    """A JSON string only: DRF's own turns 5 and 1.5 into "5" and "1.5"."""

    default_error_messages = {"invalid": "must be a string"}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
