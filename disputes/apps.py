from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = "Disputes and breaches"

    def ready(self) -> None:
        from disputes import compliance, dashboard, due_dates, reports, watchers
        from disputes import demo as disputes_demo
        from disputes.models import ExpulsionMotion
        from disputes.services import reviews
        from kiaa import decisions, demo

        watchers.register()
        reports.register()
        compliance.register()
        due_dates.register()
        dashboard.register()
        demo.register(disputes_demo.seed)
        decisions.register(
            ExpulsionMotion._meta.label_lower,
            on_approved=reviews.on_board_approved,
            on_rejected=reviews.on_board_rejected,
            conflicts=reviews.conflicted_trustees,
            link=reviews.decision_link,
        )
