from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = "Disputes and breaches"

    def ready(self) -> None:
        from disputes import demo as disputes_demo
        from disputes import watchers
        from kiaa import demo

        watchers.register()
        demo.register(disputes_demo.seed)
