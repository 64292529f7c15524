"""WhatsApp's delivery reports. Each (message id, status) pair is stored once: Meta redelivers webhooks, and
the unique constraint is what makes a redelivered status a no-op."""

from typing import ClassVar

from django.db import models

from alfred.models import Message


class StatusEvent(models.Model):
    """One ``sent``/``delivered``/``read``/``failed`` report for a message Alfred sent."""

    provider_message_id = models.CharField("WhatsApp message id", max_length=255)
    status = models.CharField(max_length=16)
    # Null when the report names a message this instance does not know (sent by another tool, or deleted).
    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="whatsapp_statuses"
    )
    error_code = models.CharField(max_length=32, blank=True)
    error_title = models.CharField(max_length=255, blank=True)
    recipient_id = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True, help_text="When Meta says it happened.")
    raw = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering: ClassVar = ["-received_at", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["provider_message_id", "status"], name="statusevent_unique_per_status"),
        ]

    def __str__(self) -> str:
        return f"{self.provider_message_id} {self.status}"
