"""Who is who: the member behind an address on a channel, a member's addresses, their conversations."""

import threading
import time
from collections import defaultdict
from collections.abc import Sequence

from django.conf import settings

from alfred.channels import channel_descriptions
from alfred.models import Conversation, Member, MemberAddress


def member_addresses(member: Member) -> dict[str, list[str]]:
    """The member's addresses by channel, each channel's in the order they were added."""
    addresses: dict[str, list[str]] = defaultdict(list)
    rows = MemberAddress.objects.filter(member=member).order_by("id").values_list("channel", "address")
    for channel, address in rows:
        addresses[channel].append(address)
    return dict(addresses)


def member_reach(member: Member) -> tuple[str, str] | None:
    """``(channel, address)`` where a message Alfred starts itself reaches the member: the first channel in
    settings order on which the member has an address that channel can write to first; None if none."""
    addresses = member_addresses(member)
    for description in channel_descriptions():
        on_channel = addresses.get(description.name)
        if on_channel:
            address = description.proactive_address(on_channel)
            if address:
                return description.name, address
    return None


def member_for_address(*, channel: str, addresses: Sequence[str]) -> Member | None:
    """The member one of ``addresses`` belongs to on ``channel``; the earlier address wins when they name two
    members (a channel passes its most reliable address first). One indexed query."""
    wanted = [address for address in addresses if address]
    if not wanted:
        return None
    found = {
        row.address: row.member
        for row in MemberAddress.objects.filter(channel=channel, address__in=wanted).select_related("member")
    }
    for address in wanted:
        if address in found:
            return found[address]
    return None


class MemberCache:
    """``member_for_address`` remembered for a short while, for the webhooks: they are the hot path and a
    household has a handful of members. The admin and the API run in the web process, and every save or
    delete of a member or an address there empties the cache at once (``AlfredConfig.ready`` connects it);
    a change made by another process is seen within ``ALFRED_MEMBER_CACHE_SECONDS``. The worker reads
    members fresh."""

    def __init__(self, size: int = 1000) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, tuple[str, ...]], tuple[float, Member | None]] = {}

    def find(self, *, channel: str, addresses: Sequence[str]) -> Member | None:
        ttl = settings.ALFRED_MEMBER_CACHE_SECONDS
        if ttl <= 0:
            return member_for_address(channel=channel, addresses=addresses)
        key, now = (channel, tuple(addresses)), time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        member = member_for_address(channel=channel, addresses=addresses)
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[key] = (now + ttl, member)
        return member

    def clear(self, **kwargs: object) -> None:
        with self._lock:
            self._entries.clear()


members = MemberCache()


def conversation_for(*, channel: str, external_id: str, member: Member | None) -> Conversation:
    conversation, created = Conversation.objects.get_or_create(
        channel=channel, external_id=external_id, defaults={"member": member}
    )
    if not created and member is not None and conversation.member_id != member.pk:
        Conversation.objects.filter(pk=conversation.pk).update(member=member)
        conversation.member = member
    return conversation
