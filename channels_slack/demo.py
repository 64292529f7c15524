"""The biz demo owner's Slack user id, for ``manage.py seed_demo`` (after work_skills made the member).

U2147483697 in workspace T0001 is the user of Slack's documented sample payloads, so those payloads and
``manage.py chat --settings=settings.biz --sender U2147483697`` reach the demo owner."""

from alfred.models import Member, MemberAddress
from channels_slack.channel import SLACK

USER_IDS = {"Owner": "U2147483697"}


def seed() -> None:
    for name, user_id in USER_IDS.items():
        member = Member.objects.filter(name=name).first()
        if member is not None:
            MemberAddress.objects.get_or_create(
                channel=SLACK.name, address=SLACK.normalise_address(user_id), defaults={"member": member}
            )
