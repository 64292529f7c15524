"""The WhatsApp Cloud API channel, as the core sees it."""

import re
from collections.abc import Sequence

from alfred.channels import ChannelDescription, SendPolicy

# Only digits, spaces and phone punctuation: a phone number as a person types it.
PHONE_LIKE = re.compile(r"\+?[\d\s().-]+")


def wa_id_from_phone(phone: str) -> str:
    """WhatsApp's wa_id is the E.164 number as bare digits; accept any human formatting of it."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[2:] if digits.startswith("00") else digits


def address_normalise(address: str) -> str:
    """A phone number becomes its wa_id; anything else is a business-scoped user id (BSUID), kept as is."""
    address = address.strip()
    return wa_id_from_phone(address) if PHONE_LIKE.fullmatch(address) else address


def proactive_address(addresses: Sequence[str]) -> str | None:
    """Alfred starts a conversation (a reminder) only on a phone number, the address Meta delivers to."""
    return next((address for address in addresses if address.isdigit()), None)


# Meta's error codes that mean "try again later": rate limits (4, 17, 341, 80007, 130429), pair rate limit
# (131056), unknown/temporary failures (1, 2, 131000, 131016, 133004) and maintenance (131057).
TRANSIENT_CODES = frozenset(
    {"1", "2", "4", "17", "341", "80007", "130429", "131000", "131016", "131056", "131057", "133004"}
)
# Never retried even when Meta marks them transient: retrying a spam limit (131048) makes it worse;
# 131026 undeliverable, 131051 unsupported type, 131047 outside the 24-hour window (a template goes instead).
PERMANENT_CODES = frozenset({"131048", "131026", "131051", "131047"})
EXPIRED_AUTH_CODE = "190"

WHATSAPP = ChannelDescription(
    name="whatsapp",
    label="WhatsApp",
    sender="channels_wa.sender.WhatsAppSender",
    preparer="channels_wa.inbound.prepare",
    urls="channels_wa.urls",
    address_help=(
        "A phone number in international format, e.g. +34 600 000 001 (stored as digits), or the "
        "business-scoped user id WhatsApp sends when it does not share the number."
    ),
    normalise_address=address_normalise,
    proactive_address=proactive_address,
    send_policy=SendPolicy(
        transient_codes=TRANSIENT_CODES,
        permanent_codes=PERMANENT_CODES,
        alert_codes=frozenset({EXPIRED_AUTH_CODE}),
        # 4^attempt seconds up to 10 minutes: Meta's guidance for the pair rate limit (131056).
        backoff_base=4.0,
        backoff_cap=600.0,
        # Meta posts a "sent" status, with the send's biz_opaque_callback_data, for every message it accepted.
        confirms_sends=True,
    ),
    required_settings=("META_TOKEN", "META_APP_SECRET", "META_VERIFY_TOKEN", "PHONE_ID"),
    setup_section="Connect WhatsApp",
    rotator="channels_wa.rotate.MetaTokenRotator",
    # The Graph API (sends, media URLs, token checks); the media files themselves come from Meta's CDN host.
    egress_settings=("WHATSAPP_API_BASE",),
    egress_hosts=("lookaside.fbsbx.com",),
    env_vars=(
        "META_TOKEN",
        "META_APP_SECRET",
        "META_VERIFY_TOKEN",
        "PHONE_ID",
        "WHATSAPP_API_BASE",
        "WHATSAPP_API_VERSION",
        "WHATSAPP_API_TIMEOUT",
        "WHATSAPP_MARK_AS_READ",
        "WHATSAPP_ACK_REACTION",
        "WHATSAPP_REMINDER_TEMPLATE",
        "WHATSAPP_REMINDER_TEMPLATE_LANGUAGES",
        "WHATSAPP_REMINDER_TEMPLATE_PARAM_NAMES",
        "WHATSAPP_REMINDER_TEMPLATE_QUICK_REPLIES",
        "META_APP_ID",
    ),
)
CHANNEL = WHATSAPP
