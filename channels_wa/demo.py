"""The demo family's WhatsApp numbers, for ``manage.py seed_demo`` (after home_skills made the members)."""

from alfred.models import Member, MemberAddress
from channels_wa.channel import WHATSAPP

NUMBERS = {"Ana": "+34600000001", "Leo": "+34600000002", "Maria": "+34600000003"}


def seed() -> None:
    for name, number in NUMBERS.items():
        member = Member.objects.filter(name=name).first()
        if member is not None:
            MemberAddress.objects.get_or_create(
                channel=WHATSAPP.name, address=WHATSAPP.normalise_address(number), defaults={"member": member}
            )
