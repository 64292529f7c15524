from django.apps import AppConfig


class HomeSkillsConfig(AppConfig):
    name = "home_skills"
