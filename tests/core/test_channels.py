"""The channel descriptions: everything the core knows of a channel derives from the list of channel apps."""

import pytest
from django.conf import settings
from django.urls import resolve

from alfred.channels import CONSOLE, channel_choices, channel_descriptions, get_channel
from alfred.members import member_for_address, member_reach, members
from alfred.models import Member, MemberAddress, Message
from alfred.outbox import message_member
from tests.fake_channel.channel import CHANNEL as TEST_CHANNEL


@pytest.fixture
def with_test_channel(settings):
    settings.ALFRED_CHANNEL_APPS = [*settings.ALFRED_CHANNEL_APPS, "tests.fake_channel"]
    channel_descriptions.cache_clear()
    yield TEST_CHANNEL
    channel_descriptions.cache_clear()


def test_the_terminal_and_each_listed_channel_app_are_the_channels_in_settings_order():
    names = [description.name for description in channel_descriptions()]

    assert names[0] == CONSOLE.name
    assert len(names) == 1 + len(settings.ALFRED_CHANNEL_APPS)
    assert [name for name, _label in channel_choices()] == names


def test_an_unknown_channel_is_a_lookup_error_naming_it():
    with pytest.raises(LookupError, match="carrier-pigeon"):
        get_channel("carrier-pigeon")


def test_a_channel_listed_in_settings_joins_the_choices(with_test_channel):
    assert ("test", "Test") in channel_choices()
    assert Message._meta.get_field("channel").choices is not None
    assert "test" in dict(Message._meta.get_field("channel").choices)


def test_every_channel_with_urls_is_mounted():
    for description in channel_descriptions():
        if description.urls:
            from importlib import import_module

            for pattern in import_module(description.urls).urlpatterns:
                assert resolve("/" + str(pattern.pattern)).url_name == pattern.name


@pytest.mark.django_db
def test_an_inbound_address_finds_its_member_and_the_first_address_wins(with_test_channel):
    ana = Member.objects.create(name="Ana")
    leo = Member.objects.create(name="Leo")
    MemberAddress.objects.create(member=ana, channel="test", address=" ana-1 ")
    MemberAddress.objects.create(member=leo, channel="test", address="leo-1")

    assert MemberAddress.objects.get(member=ana).address == "ana-1"  # normalised by the channel
    assert member_for_address(channel="test", addresses=["nobody", "ana-1"]) == ana
    assert member_for_address(channel="test", addresses=["leo-1", "ana-1"]) == leo
    assert member_for_address(channel="console", addresses=["ana-1"]) is None
    assert member_for_address(channel="test", addresses=["", ""]) is None


@pytest.mark.django_db
def test_the_member_cache_forgets_at_once_when_an_address_changes(with_test_channel):
    ana = Member.objects.create(name="Ana")
    members.clear()
    assert members.find(channel="test", addresses=["ana-1"]) is None

    MemberAddress.objects.create(member=ana, channel="test", address="ana-1")

    assert members.find(channel="test", addresses=["ana-1"]) == ana


@pytest.mark.django_db(transaction=True)
def test_message_member_picks_the_channel_and_address_that_reach_the_member(with_test_channel):
    ana = Member.objects.create(name="Ana")
    assert member_reach(ana) is None
    assert message_member(member=ana, text="hello") is None

    MemberAddress.objects.create(member=ana, channel="test", address="ana-1")
    message = message_member(member=ana, text="hello")

    assert member_reach(ana) == ("test", "ana-1")
    assert message is not None
    message.refresh_from_db()
    assert (message.channel, message.conversation.external_id, message.proactive) == ("test", "ana-1", True)
    assert message.status == "sent" and message.provider_message_id == f"provider-{message.pk}"


@pytest.mark.django_db
def test_the_member_cache_remembers_until_its_time_is_up_and_zero_turns_it_off(with_test_channel, settings):
    ana, leo = Member.objects.create(name="Ana"), Member.objects.create(name="Leo")
    address = MemberAddress.objects.create(member=ana, channel="test", address="shared-phone")
    members.clear()
    assert members.find(channel="test", addresses=["shared-phone"]) == ana

    # A change made without signals (another process, a bulk update) is not seen while the entry lives...
    MemberAddress.objects.filter(pk=address.pk).update(member=leo)
    assert members.find(channel="test", addresses=["shared-phone"]) == ana

    # ...and at once when the cache is off.
    settings.ALFRED_MEMBER_CACHE_SECONDS = 0
    assert members.find(channel="test", addresses=["shared-phone"]) == leo
