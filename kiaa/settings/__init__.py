"""Settings per environment: base, local (the default), test and production.

`DJANGO_ENV` picks the module (see `kiaa.use_settings`); every value a deployment
changes comes from the environment.
"""
