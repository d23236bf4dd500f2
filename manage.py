#!/usr/bin/env python
"""Django's command-line utility for KIAA governance."""

import sys

from kiaa import use_settings

if __name__ == "__main__":
    use_settings()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
