"""Developer machine: debug on, SQLite and eager Celery unless the environment says otherwise."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# A fixed key is harmless here: local settings never serve real users (production requires one).
SECRET_KEY = env("SECRET_KEY", default="local-development-only-not-secret")
