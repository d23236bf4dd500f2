"""Shapes of the breaches API (API.md): read only; reviews come with their own endpoint."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from disputes.models import Breach


class BreachSerializer(serializers.ModelSerializer[Breach]):
    declaration = serializers.SerializerMethodField()
    # Blank until the arbiter reviews the breach; the schema says so rather than only the enum.
    sanction = serializers.ChoiceField(
        choices=Breach.Sanction.choices, allow_blank=True, read_only=True
    )
    evidence = serializers.DictField(
        read_only=True, help_text='What the detector saw: "details" (sentences) and ids or dates.'
    )

    class Meta:
        model = Breach
        fields = [
            "id",
            "kind",
            "summary",
            "agency",
            "tender",
            "partnership",
            "declaration",
            "occurred_at",
            "detected_at",
            "cleared_at",
            "evidence",
            "status",
            "sanction",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_declaration(self, breach: Breach) -> Any:
        """The declaration's id, only when the barrier of bids lets the reader see it."""
        visible = getattr(breach, "declaration_visible", False)
        return breach.declaration_id if visible else None
