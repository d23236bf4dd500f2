"""The calendar feed's URL, under the API base (/api/v1/a/<alliance-slug>/calendar.ics).

Its credential is the secret in the address, not a session or an API token, so it is a
plain Django view rather than a DRF one (kiaa/calendar_views.py).
"""

from django.urls import path

from kiaa import calendar_views

urlpatterns = [path("calendar.ics", calendar_views.calendar_feed, name="calendar-feed")]
