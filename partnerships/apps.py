from django.apps import AppConfig


class PartnershipsConfig(AppConfig):
    name = "partnerships"
    verbose_name = "Partnerships"

    def ready(self) -> None:
        from kiaa import barrier, decisions, demo, reminders
        from partnerships import dashboard, due_dates, reports
        from partnerships import demo as partnership_demo
        from partnerships.barrier_source import PartnershipPapers
        from partnerships.services import partnerships as services

        barrier.register(PartnershipPapers())
        decisions.register(
            services.SUBJECT,
            on_approved=services.on_board_approved,
            on_rejected=services.on_board_rejected,
        )
        demo.register(partnership_demo.seed)
        reminders.register("partnerships", due_dates.partnership_dues)
        reports.register()
        dashboard.register()
