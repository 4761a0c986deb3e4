from django.apps import AppConfig


class ListenConfig(AppConfig):
    name = "heard.listen"
    verbose_name = "Listen"
