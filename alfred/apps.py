from django.apps import AppConfig


class AlfredConfig(AppConfig):
    name = "alfred"
    verbose_name = "Alfred"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_migrate, post_save

        from alfred import checks  # noqa: F401  (registers the system checks)
        from alfred.audit import admin_log_entries_audited
        from alfred.members import members
        from alfred.models import Member, MemberAddress

        # Who a sender is must follow the admin at once: any member or address change empties the cache.
        for model in (Member, MemberAddress):
            post_save.connect(members.clear, sender=model, dispatch_uid=f"alfred.members.save.{model.__name__}")
            post_delete.connect(members.clear, sender=model, dispatch_uid=f"alfred.members.delete.{model.__name__}")

        admin_log_entries_audited()

        from alfred.rls import protect_after_migrate

        # Every migrate (and test flush) ends with each Alfred table under row-level security, whichever app
        # created it; once per migrate, not once per app.
        post_migrate.connect(protect_after_migrate, sender=self, dispatch_uid="alfred.rls.protect")

        from alfred.metrics import connect_signals

        connect_signals()

        from axes.signals import user_locked_out

        from alfred.admin_login import lockout_audited

        user_locked_out.connect(lockout_audited, dispatch_uid="alfred.admin_login.lockout_audited")
