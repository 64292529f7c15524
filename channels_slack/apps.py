from django.apps import AppConfig


class ChannelsSlackConfig(AppConfig):
    verbose_name = "Slack"
    name = "channels_slack"
    alfred_instances = frozenset({"biz"})

    def ready(self) -> None:
        from channels_slack import checks  # noqa: F401  (registers the configuration check)
