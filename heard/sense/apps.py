from django.apps import AppConfig


class SenseConfig(AppConfig):
    name = "heard.sense"
    verbose_name = "Make sense"
