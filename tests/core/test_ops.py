"""ops/: the alert rules (promtool), the Prometheus and Alertmanager configuration, the Grafana dashboards
(generated biz from home, every query naming a metric /metrics exports) and the log shipper's Loki sink."""

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from django.conf import settings as django_settings
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.core.test_metrics import TOKEN

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "ops"
INSTANCE = django_settings.INSTANCE
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
# A metric name in PromQL: ours all start with alfred_ (recording rules are alfred:…).
METRIC = re.compile(r"\balfred_[a-z0-9_]+\b")


def exported_names(client: Client) -> set[str]:
    """Every metric family /metrics exports, with the sample names of each (…_total, …_bucket, …_count)."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    names: set[str] = set()
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
    for family in text_string_to_metric_families(response.content.decode()):
        # A family with no series yet (no failure so far) still has its HELP and TYPE lines.
        names |= {f"{family.name}{suffix}" for suffix in suffixes.get(family.type, ("",))}
    return names


@pytest.fixture
def metric_names(client, settings, db) -> set[str]:
    settings.ALFRED_METRICS_TOKEN = TOKEN
    settings.PROMETHEUS_MULTIPROC_DIR = ""
    return exported_names(client)


def dashboard(instance: str) -> dict:
    return json.loads((OPS / "grafana" / f"alfred-{instance}.json").read_text())


def queries(board: dict) -> list[tuple[str, str]]:
    return [(panel["title"], target["expr"]) for panel in board["panels"] for target in panel.get("targets", [])]


def test_the_biz_dashboard_is_the_home_one_relabelled():
    completed = subprocess.run(
        [sys.executable, str(OPS / "grafana" / "relabel.py"), "--check"], capture_output=True, text=True, timeout=30
    )
    assert completed.returncode == 0, completed.stderr
    home, biz = dashboard("home"), dashboard("biz")
    assert (home["uid"], biz["uid"]) == ("alfred-home", "alfred-biz")
    assert [title for title, _ in queries(home)] == [title for title, _ in queries(biz)]
    assert all('instance="biz"' in expr and "home" not in expr for _, expr in queries(biz))


def test_the_home_dashboard_has_the_panels_the_blueprint_asks_for():
    exprs = " ".join(expr for _, expr in queries(dashboard("home")))
    for metric in (
        "alfred_reply_latency_seconds_bucket",  # latency per bot
        "alfred_messages_total",  # messages per channel, error ratio
        "alfred_http_requests_total",  # error ratio
        "alfred_llm_tokens_total",
        "alfred_queue_depth",
        "alfred_outbound_failures_total",
    ):
        assert metric in exprs, metric


@pytest.mark.parametrize(
    "instance", [pytest.param("home", marks=pytest.mark.home), pytest.param("biz", marks=pytest.mark.biz)]
)
def test_every_panel_queries_this_instance_and_metrics_that_metrics_exports(instance, metric_names):
    for title, expr in queries(dashboard(instance)):
        named = set(METRIC.findall(expr))
        assert named, f"{title}: {expr} names no alfred_ metric"
        assert named <= metric_names, f"{title}: {sorted(named - metric_names)} not exported by /metrics"
        selectors = re.findall(r"\{([^}]*)\}", expr)
        assert selectors and all(f'instance="{instance}"' in s for s in selectors), f"{title}: {expr}"


def test_every_alert_rule_names_metrics_that_metrics_exports(metric_names):
    rules = yaml.safe_load((OPS / "alerts.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            named = set(METRIC.findall(rule["expr"]))
            assert named <= metric_names, f"{rule.get('alert') or rule['record']}: {sorted(named - metric_names)}"


def promtool(*args: str, cwd: Path = OPS) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.mark.home
def test_the_alert_rules_pass_promtool_check_and_their_unit_tests():
    """ops/alerts.test.yml: a 2 % error ratio pages after 5 minutes, 0.5 % never; the other alerts likewise."""
    checked = promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 10 rules found" in checked.stdout

    tested = promtool("test", "rules", "alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


@pytest.mark.home
def test_the_error_ratio_rule_test_fails_when_the_threshold_is_wrong(tmp_path):
    """The unit tests can fail: with the page at 5 % instead of 1 %, the 2 % case no longer fires."""
    shutil.copy(OPS / "alerts.test.yml", tmp_path)
    text = (OPS / "alerts.yml").read_text()
    assert "alfred:http_error_ratio:rate5m > 0.01" in text
    (tmp_path / "alerts.yml").write_text(
        text.replace("alfred:http_error_ratio:rate5m > 0.01", "alfred:http_error_ratio:rate5m > 0.05")
    )

    tested = promtool("test", "rules", "alerts.test.yml", cwd=tmp_path)

    assert tested.returncode != 0 and "AlfredErrorRatioHigh" in tested.stdout + tested.stderr


@pytest.mark.home
def test_the_prometheus_configuration_scrapes_both_apps_with_their_tokens_and_keeps_the_instance_label(tmp_path):
    for name in ("prometheus.yml", "alerts.yml"):
        shutil.copy(OPS / name, tmp_path)
    (tmp_path / "secrets").mkdir()
    for instance in ("home", "biz"):
        (tmp_path / "secrets" / f"alfred-{instance}-metrics-token").write_text("not-a-real-token\n")

    checked = promtool("check", "config", "prometheus.yml", cwd=tmp_path)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    jobs = {job["job_name"]: job for job in yaml.safe_load((OPS / "prometheus.yml").read_text())["scrape_configs"]}
    for instance in ("home", "biz"):
        job = jobs[f"alfred-{instance}"]
        assert job["static_configs"] == [{"targets": [f"alfred-{instance}-eu.fly.dev"]}]
        assert job["honor_labels"] is True and job["metrics_path"] == "/metrics"
        assert job["authorization"]["credentials_file"].startswith("secrets/")


@pytest.mark.home
def test_alertmanager_pages_pagerduty_for_severity_page_with_no_key_in_the_repository():
    config = yaml.safe_load((OPS / "alertmanager.yml").read_text())
    (page_route,) = [route for route in config["route"]["routes"] if route["receiver"] == "pagerduty"]
    assert page_route["matchers"] == ['severity="page"']
    (pagerduty,) = [receiver for receiver in config["receivers"] if receiver["name"] == "pagerduty"]
    assert set(pagerduty["pagerduty_configs"][0]) >= {"routing_key_file"}
    assert (
        "routing_key" not in pagerduty["pagerduty_configs"][0]
        and "service_key" not in pagerduty["pagerduty_configs"][0]
    )
    severities = {
        rule["labels"]["severity"]
        for g in yaml.safe_load((OPS / "alerts.yml").read_text())["groups"]
        for rule in g["rules"]
        if "alert" in rule
    }
    assert severities == {"page", "ticket"}


# The shipper's own start script (fly-log-shipper, start-fly-log-transporter.sh) fills each sink in like this
# and deletes a sink whose expansion fails.
SHIPPER_TEMPLATE = r"""
set -euo pipefail
template() { eval $'cat <<_EOF\n'"$(awk '1;END{print"_EOF"}')"; }
template < "$1"
"""


@pytest.mark.home
def test_the_loki_sink_survives_the_shippers_templating_and_labels_each_line_with_the_instance(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "LOKI_URL": "https://loki.example", "LOKI_USERNAME": "u", "LOKI_PASSWORD": "p"}
    completed = subprocess.run(
        ["bash", "-c", SHIPPER_TEMPLATE, "template", str(OPS / "log-shipper" / "loki.toml")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert completed.returncode == 0, completed.stderr
    config = tomllib.loads(completed.stdout)
    sink = config["sinks"]["loki"]
    assert sink["endpoint"] == "https://loki.example" and sink["auth"]["password"] == "p"
    assert sink["labels"]["instance"] == "{{ instance }}"
    remap = config["transforms"]["alfred_loki"]
    assert sink["inputs"] == ["alfred_loki"] and remap["inputs"] == ["log_json"]
    # The app names of both Fly files map to their instance.
    assert "^alfred-(?P<instance>home|biz)\\b" in remap["source"]
    for instance in ("home", "biz"):
        app = tomllib.loads((ROOT / "fly" / f"alfred-{instance}.toml").read_text())["app"]
        assert re.match(r"^alfred-(?P<instance>home|biz)\b", app)["instance"] == instance  # type: ignore[index]
