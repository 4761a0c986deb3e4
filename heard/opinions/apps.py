from django.apps import AppConfig


class OpinionsConfig(AppConfig):
    name = "heard.opinions"
    label = "opinions"
    verbose_name = "Opinions"
