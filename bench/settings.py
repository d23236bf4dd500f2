"""Settings for bench/throughput.py: local settings, the bench URLs and nothing throttled.

Import the kiaa package before Django loads these (manage.py and kiaa.wsgi do): it reads the
settings as it loads, and this module, importing kiaa.settings.local, would still be half-done.
"""

from kiaa.settings.local import *  # noqa: F403
from kiaa.settings.local import REST_FRAMEWORK

ROOT_URLCONF = "bench.urls"
# Local settings default DEBUG on, which keeps every query in memory and slows each request.
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

# Throttles off: a rate limit would turn the load into 429s and cap the req/s measured. The
# documents list has no throttle today (only the password checks do, per view); this keeps a
# default throttle added later from distorting the numbers.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
