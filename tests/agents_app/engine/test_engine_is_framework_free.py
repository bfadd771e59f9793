import subprocess
import sys


def test_importing_the_engine_loads_no_django_and_no_app_module():
    code = (
        "import sys, agents_app.engine, agents_app.engine.tools;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('django', 'channels', 'rest_framework', 'sessions_app', 'accounts_app', 'admin_app')"
        " or (m.startswith('navi_project') and m not in ('navi_project', 'navi_project.events')));"
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
