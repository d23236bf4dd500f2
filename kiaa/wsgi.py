"""WSGI entry point for gunicorn."""

from django.core.wsgi import get_wsgi_application

from kiaa import use_settings

use_settings()
application = get_wsgi_application()
