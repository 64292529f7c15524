"""The engine's records: who may talk to Alfred, and every message in and out (the inbox and the outbox)."""

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from alfred.channels import channel_choices, get_channel


class Language(models.TextChoices):
    EN = "en", "English"
    ES = "es", "Español"


class Member(models.Model):
    """A person Alfred serves. Only members get skill access; anyone else gets a polite refusal."""

    name = models.CharField(max_length=80, unique=True)
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.EN)
    timezone = models.CharField(max_length=64, default="Europe/Madrid")
    is_admin = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
        help_text="Login used for the admin and the API token.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name


class MemberAddress(models.Model):
    """Where a member talks to Alfred: a channel and the member's address on it (a phone number, a user id).
    An inbound message finds its member by (channel, address); a message Alfred starts itself goes to the
    address the channel picks (see ``ChannelDescription.proactive_address``)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="addresses")
    channel = models.CharField(max_length=16, choices=channel_choices)
    address = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["channel", "id"]
        verbose_name_plural = "addresses"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["channel", "address"], name="memberaddress_unique_per_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.address}"

    def save(self, *args: object, **kwargs: object) -> None:
        # Stored as the provider sends it, so an inbound lookup is one exact, indexed match.
        self.address = self._normalised()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        self.address = self._normalised()
        if not self.address:
            raise ValidationError({"address": "Enter the member's address on this channel."})

    def _normalised(self) -> str:
        try:
            return get_channel(self.channel).normalise_address(self.address or "")
        except LookupError:  # a channel this instance does not install: kept as typed
            return (self.address or "").strip()


class Conversation(models.Model):
    """One chat thread on a channel: a person's direct chat, a group or channel thread, a terminal session."""

    channel = models.CharField(max_length=16, choices=channel_choices)
    external_id = models.CharField(max_length=128)
    member = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations")
    # Some channels allow free-form replies only for a while after the member's last message.
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="conversation_unique_per_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id}"


class Direction(models.TextChoices):
    INBOUND = "in", "Inbound"
    OUTBOUND = "out", "Outbound"


class Status(models.TextChoices):
    # inbound
    RECEIVED = "received", "Received"
    HANDLING = "handling", "Handling"
    HANDLED = "handled", "Handled"
    REFUSED = "refused", "Refused (unknown sender)"
    IGNORED = "ignored", "Ignored"
    # outbound
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    READ = "read", "Read"
    # both
    FAILED = "failed", "Failed"


class Path(models.TextChoices):
    RULES = "rules", "Rules"
    LLM = "llm", "LLM"
    FALLBACK = "fallback", "Fallback"


class Message(models.Model):
    """A message in either direction. Inbound rows are the inbox, outbound rows the outbox."""

    direction = models.CharField(max_length=3, choices=Direction.choices)
    channel = models.CharField(max_length=16, choices=channel_choices)
    # Inbound: the provider's id (dedupe key). Outbound: set once the provider accepted the message.
    provider_message_id = models.CharField(max_length=255, null=True, blank=True)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages")
    kind = models.CharField(max_length=32, default="text", help_text="text, reaction, interactive, audio, template…")
    text = models.TextField(blank=True)
    # Outbound: what the reply carries besides its text (``alfred.content.OutboundContent``).
    content = models.JSONField(default=dict, blank=True)
    # What the provider sent (inbound) or returned, and the channel's notes on how a row went out.
    raw = models.JSONField(default=dict, blank=True)
    # A tool call the channel already knows (a tapped button): the brain runs it without interpreting text.
    intent = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    path = models.CharField(max_length=10, choices=Path.choices, blank=True)
    language = models.CharField(max_length=5, blank=True)
    error = models.TextField(blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    reply_to = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies")
    # Outbound messages Alfred starts itself (reminders), as opposed to replies.
    proactive = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The worker process holding the claim (``alfred.liveness``); "" when liveness is unknown.
    claimed_by = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["channel", "provider_message_id"],
                condition=Q(provider_message_id__isnull=False),
                name="message_unique_provider_id_per_channel",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["status", "created_at"], name="message_status_created")]

    def __str__(self) -> str:
        arrow = "→" if self.direction == Direction.OUTBOUND else "←"
        return f"{arrow} {self.channel} #{self.pk}: {self.text[:40]}"


class ToolCall(models.Model):
    """One executed tool call. (message, call_id) is unique so a retried turn never runs a tool twice."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="tool_calls")
    call_id = models.CharField(max_length=64)
    tool = models.CharField(max_length=64)
    args = models.JSONField(default=dict)
    result = models.JSONField(default=dict)
    ok = models.BooleanField(default=True)
    duration_ms = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["created_at", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["message", "call_id"], name="toolcall_unique_per_message"),
        ]

    def __str__(self) -> str:
        return f"{self.tool}({self.args})"


class CompletionKind(models.TextChoices):
    CHAT = "chat", "Chat completion"
    TRANSCRIPTION = "transcription", "Transcription"


# The error of a turn's first completion while it is a placeholder (alfred/llm/budget.py): written before the
# model is asked, filled in with the answer.
LLM_RESERVED = "reserved: no answer recorded"


class LLMCompletion(models.Model):
    """One call to the LLM endpoint, kept for cost, budget and audit. The ok chat rows of a message are
    also the turn's journal: a retried turn replays them instead of asking the model again."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, null=True, blank=True, related_name="completions")
    kind = models.CharField(max_length=16, choices=CompletionKind.choices, default=CompletionKind.CHAT)
    round = models.PositiveSmallIntegerField(default=1)
    model = models.CharField(max_length=100)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    # Some compatible servers report no usage; the tokens are then estimated from the characters sent.
    tokens_estimated = models.BooleanField(default=False)
    latency_ms = models.FloatField(default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=6, default=0, help_text="Estimate, in the price unit.")
    ok = models.BooleanField(default=True)
    error = models.CharField(max_length=200, blank=True)
    finish_reason = models.CharField(max_length=32, blank=True)
    # The assistant's answer: {"content": str | None, "tool_calls": [{"id", "key", "name", "arguments", "status"}]}
    response = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering: ClassVar = ["created_at", "id"]
        verbose_name = "LLM completion"
        constraints: ClassVar = [
            # Two runs of the same turn (a worker presumed dead) cannot both journal a round.
            models.UniqueConstraint(
                fields=["message", "round"],
                condition=Q(ok=True, kind="chat"),
                name="llmcompletion_one_ok_round_per_message",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} round {self.round}: {self.total_tokens} tokens"

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class PendingStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the user"
    CONFIRMED = "confirmed", "Confirmed and run"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"


class PendingAction(models.Model):
    """A destructive tool call the LLM proposed. It runs only if the same member's next message says yes."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="pending_actions")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="pending_actions")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="pending_actions")
    call_key = models.CharField(max_length=64)
    tool = models.CharField(max_length=64)
    args = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=PendingStatus.choices, default=PendingStatus.PENDING)
    resolved_by = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="resolved_actions"
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["created_at", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["message", "call_key"], name="pendingaction_unique_per_call"),
        ]

    def __str__(self) -> str:
        return f"{self.tool}({self.args}) [{self.status}]"


class AuditEvent(models.Model):
    """Who did what, when, on this instance. Kept in the database for the retention period, then archived
    (see ``alfred/audit.py``). ``detail`` never holds a secret: callers pass names and ids, not values."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    instance = models.CharField(max_length=8)
    # "member:<id>", "user:<username>", "system", "operator" — whoever caused it.
    actor = models.CharField(max_length=120, blank=True)
    # A dotted verb, e.g. "message.inbound", "tool.write", "admin.change", "token.rotate", "egress.blocked".
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering: ClassVar = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.target}"


class Credential(models.Model):
    """A provider's token, encrypted at rest with ``ALFRED_VAULT_KEY`` (``alfred/vault.py``). One row per
    provider, replaced in place by ``manage.py rotate_tokens`` under a row lock, so two processes never
    refresh the same token at once. The values are never shown: the admin lists only age and expiry."""

    # The rotator's name ("meta", "slack"), not a channel: one channel may hold several tokens one day.
    provider = models.CharField(max_length=32, unique=True)
    token_encrypted = models.TextField()
    # Providers with short-lived tokens (Slack's token rotation) hand out a refresh token with each one.
    refresh_encrypted = models.TextField(blank=True)
    # Keyed hash of the environment value this row started from. When the operator puts a new token in the
    # environment, it no longer matches and the environment's token wins until the next rotation adopts it.
    source_fingerprint = models.CharField(max_length=64, blank=True)
    issued_at = models.DateTimeField(default=timezone.now)
    # None: the token never expires, or its expiry is not known yet.
    expires_at = models.DateTimeField(null=True, blank=True)
    # When Alfred last replaced the token; None while it is still the environment's.
    rotated_at = models.DateTimeField(null=True, blank=True)
    # When rotate_tokens last looked at it (even when it changed nothing).
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["provider"]

    def __str__(self) -> str:
        return f"{self.provider} token"


class ApiToken(models.Model):
    """A login's key for the REST API (``Authorization: Token <key>``), stored only as its SHA-256: the key is
    shown once, on the page of the admin action that made it (``alfred/api_tokens.py``), and can never be read
    back, from the admin or the database. Deleting the row revokes it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token")
    # A random key has enough entropy that an unsalted fast hash is safe, and an indexed digest finds it at once.
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["created_at", "id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"API token of {self.user}"
