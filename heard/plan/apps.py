from django.apps import AppConfig


class PlanConfig(AppConfig):
    name = "heard.plan"
    verbose_name = "Plan & invite"
