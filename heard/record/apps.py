from django.apps import AppConfig


class RecordConfig(AppConfig):
    name = "heard.record"
    verbose_name = "The record"
