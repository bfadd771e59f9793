"""`python -m tests.oauth_server <command>`: Django's command line for the test authorization server."""

import os
import sys

from django.core.management import execute_from_command_line


def main() -> None:
    # Forced, not defaulted: the parent test process runs with Navi's settings in its environment.
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oauth_server.settings"
    execute_from_command_line([f"{sys.executable} -m tests.oauth_server", *sys.argv[1:]])


if __name__ == "__main__":
    main()
