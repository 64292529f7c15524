"""Run tests/load/locustfile.py headless for a few seconds (the tests of the load file); its final figures."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def run_locust(user_class: str, host: str, *, users: int, seconds: int, env: dict[str, str]) -> dict[str, Any]:
    """Locust's figures for the run's one request name: ``num_requests``, ``num_failures``, … Requests in
    flight at the end are waited for (``--stop-timeout``): every request sent is counted, answered."""
    result = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--users", str(users),
         "--spawn-rate", str(users), "--run-time", f"{seconds}s", "--stop-timeout", "60", "--host", host,
         "--json", user_class],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=seconds + 120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    entries = json.loads(result.stdout)
    assert len(entries) == 1, f"locust recorded {len(entries)} request names:\n{result.stderr[-3000:]}"
    return entries[0]
