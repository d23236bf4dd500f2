from django.apps import AppConfig


class KiaaConfig(AppConfig):
    name = "kiaa"
    verbose_name = "Alliance core"

    def ready(self) -> None:
        from kiaa import due_dates, reminders

        reminders.register("kiaa", due_dates.alliance_dues)
