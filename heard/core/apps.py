from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "heard.core"
    verbose_name = "heard core"
