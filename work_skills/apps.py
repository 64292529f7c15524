from django.apps import AppConfig


class WorkSkillsConfig(AppConfig):
    name = "work_skills"
