from django.apps import AppConfig


class EngagementsConfig(AppConfig):
    name = "heard.engagements"
    verbose_name = "Engagements"
