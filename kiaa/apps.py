from django.apps import AppConfig


class KiaaConfig(AppConfig):
    name = "kiaa"
    verbose_name = "Alliance core"
