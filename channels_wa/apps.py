from django.apps import AppConfig


class ChannelsWaConfig(AppConfig):
    verbose_name = "WhatsApp"
    name = "channels_wa"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from alfred.models import Member
        from channels_wa import checks  # noqa: F401  (registers the configuration check)
        from channels_wa.services import members

        # Who a sender is must follow the admin at once: any member change empties the webhook's cache.
        post_save.connect(members.clear, sender=Member, dispatch_uid="channels_wa.members.save")
        post_delete.connect(members.clear, sender=Member, dispatch_uid="channels_wa.members.delete")
