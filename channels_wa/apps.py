from django.apps import AppConfig


class ChannelsWaConfig(AppConfig):
    verbose_name = "WhatsApp"
    name = "channels_wa"
    # Home's channel; biz may add a second WhatsApp number.
    alfred_instances = frozenset({"home", "biz"})

    def ready(self) -> None:
        from channels_wa import checks  # noqa: F401  (registers the configuration check)
