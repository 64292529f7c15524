from django.apps import AppConfig


class HomeSkillsConfig(AppConfig):
    name = "home_skills"
    # The family's data never belongs in the business instance (system check alfred.E003).
    alfred_instances = frozenset({"home"})

    def egress_hosts(self) -> list[str]:
        """The hosts this app connects to, for the egress guard (alfred.egress): the calendar bridge's."""
        from home_skills.bridge import bridge_hosts

        return bridge_hosts()
