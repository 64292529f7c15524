from django.apps import AppConfig


class HomeSkillsConfig(AppConfig):
    name = "home_skills"
    # The family's data never belongs in the business instance (system check alfred.E003).
    alfred_instances = frozenset({"home"})
