from django.apps import AppConfig


class WorkSkillsConfig(AppConfig):
    name = "work_skills"
    # The business's data never belongs in the family instance (system check alfred.E003).
    alfred_instances = frozenset({"biz"})
