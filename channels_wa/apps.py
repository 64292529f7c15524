from django.apps import AppConfig


class ChannelsWaConfig(AppConfig):
    verbose_name = "WhatsApp"
    name = "channels_wa"
