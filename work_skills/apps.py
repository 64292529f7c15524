from django.apps import AppConfig
from django.conf import settings


class WorkSkillsConfig(AppConfig):
    name = "work_skills"
    # The business's data never belongs in the family instance (system check alfred.E003).
    alfred_instances = frozenset({"biz"})

    def egress_hosts(self) -> list[str]:
        """The hosts this app connects to, for the egress guard (alfred.egress): the mailbox's IMAP server and
        the calendar bridge's bucket and ICS feeds."""
        from work_skills.calendar import bridge_hosts

        return [*([settings.IMAP_HOST] if settings.IMAP_HOST else []), *bridge_hosts()]
