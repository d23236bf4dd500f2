from django.apps import AppConfig


class BidsConfig(AppConfig):
    name = "bids"
    verbose_name = "Bids and tenders"

    def ready(self) -> None:
        from bids import barrier_source, dashboard, due_dates, reports
        from bids import demo as bids_demo
        from bids.services import declarations, withdrawals
        from kiaa import barrier, decisions, demo, reminders
        from partnerships import joins

        barrier.refine_with(barrier_source.refine)
        demo.register(bids_demo.seed)
        decisions.register(
            declarations.SUBJECT,
            on_approved=declarations.on_board_approved,
            on_rejected=declarations.on_board_rejected,
            conflicts=declarations.conflicted_trustees,
            value_pence=declarations.value_pence,
            link=declarations.decision_link,
            conflicts_many=declarations.conflicted_trustees_many,
            answer_by=due_dates.declaration_answer_by,
        )
        reminders.register("bids", due_dates.tender_dues)
        reports.register()
        dashboard.register()
        joins.register("bids.withdrawals", withdrawals.withdrawals_sync_on_join)
