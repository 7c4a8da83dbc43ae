"""probe/ is Django-free HTTP: importing it loads neither Django nor the app's other layers, and
a process without a Redis limiter never loads redis."""

import json
import socket
import subprocess
import sys

from tests.support import ROOT

IMPORT_EVERY_PROBE_MODULE = """
import importlib, json, pkgutil, sys
import checks.probe
probe = [module.name for module in pkgutil.iter_modules(checks.probe.__path__)]
for name in probe:
    importlib.import_module(f"checks.probe.{name}")
print(json.dumps({"probe": probe, "loaded": sorted(sys.modules)}))
"""

# A capped session checks a page (the port refuses) with no Redis limiter configured.
CHECK_WITHOUT_REDIS = """
import json, sys
from checks.probe.page import page_check
from checks.probe.session import WikiSession
host = "127.0.0.1:" + sys.argv[1]
with WikiSession(user_agent="test", allowed_hosts=[host], host_limits=[(host, 2)]) as session:
    outcome = page_check(f"http://{host}/wiki/Ocean", session=session, timeout=(1, 1))
print(json.dumps({"error": outcome.error, "loaded": sorted(sys.modules)}))
"""


def run_python(code: str, *arguments: str) -> dict:
    finished = subprocess.run(
        [sys.executable, "-c", code, *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(finished.stdout)


def test_no_probe_module_loads_django_or_the_other_layers():
    report = run_python(IMPORT_EVERY_PROBE_MODULE)

    assert {"outcome", "session", "page", "mediawiki", "hosts"} <= set(report["probe"])
    assert "django" not in report["loaded"]
    outside_probe = [
        name
        for name in report["loaded"]
        if name.startswith("checks.") and not name.startswith("checks.probe")
    ]
    assert outside_probe == []


def test_a_capped_check_without_a_redis_limiter_never_loads_redis():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]

    report = run_python(CHECK_WITHOUT_REDIS, str(port))

    assert report["error"] == "ConnectionRefused: the server refused the connection"
    assert "redis" not in report["loaded"]
