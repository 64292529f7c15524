from django.apps import AppConfig


class ChannelsSlackConfig(AppConfig):
    verbose_name = "Slack"
    name = "channels_slack"
    alfred_instances = frozenset({"biz"})
