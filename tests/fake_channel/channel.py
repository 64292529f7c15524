"""A channel app for tests: its sender plays back a script of outcomes and counts the calls that reached
the 'provider'. Installed by ``settings.ALFRED_CHANNEL_APPS = [..., "tests.fake_channel"]``."""

from alfred.channels import ChannelDescription, Sender, SendError, SendPolicy
from alfred.models import Message


class ScriptedSender(Sender):
    # Each call takes the next outcome: a SendError is raised, None sends.
    script: list[SendError | None] = []
    calls = 0

    def send(self, message: Message) -> str:
        ScriptedSender.calls += 1
        outcome = ScriptedSender.script.pop(0) if ScriptedSender.script else None
        if outcome is not None:
            raise outcome
        return f"provider-{message.pk}"


CHANNEL = ChannelDescription(
    name="test",
    label="Test",
    sender="tests.fake_channel.channel.ScriptedSender",
    send_policy=SendPolicy(alert_codes=frozenset({"expired"})),
)
