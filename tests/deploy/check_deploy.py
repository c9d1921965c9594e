"""deploy/ stays usable: promtool accepts the alert rules, the Grafana dashboard is valid JSON
of a dashboard, and both use only metric names that `agentrt serve` exposes (the shared list
serve/metrics/metric_names.txt, which a unit test holds equal to what ServeMetrics registers).
Run by ctest as deploy_check; needs promtool (Debian `prometheus`, scripts/setup)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import unittest
from pathlib import Path

ROOT = Path(os.environ.get("AGENTRT_SOURCE_DIR", Path(__file__).resolve().parents[2]))
RULES = ROOT / "deploy/prometheus/agentrt-alerts.yml"
DASHBOARD = ROOT / "deploy/grafana/agentrt-dashboard.json"
NAMES = ROOT / "serve/metrics/metric_names.txt"
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def exposed_families() -> set[str]:
    return {ln.strip() for ln in NAMES.read_text().splitlines() if ln.strip() and not ln.startswith("#")}


def series_names(expr: str) -> set[str]:
    """The agentrt_* names an expression reads, with a histogram's suffix taken off."""
    names = set()
    for name in re.findall(r"\bagentrt_[a-z0-9_]+", expr):
        for suffix in HISTOGRAM_SUFFIXES:
            if name.endswith(suffix) and name[: -len(suffix)].endswith("_seconds"):
                name = name[: -len(suffix)]
        names.add(name)
    return names


def dashboard_exprs(dashboard: dict) -> list[str]:
    exprs = []
    for panel in dashboard.get("panels", []):
        for target in panel.get("targets", []):
            exprs.append(target["expr"])
    return exprs


class DeployCheck(unittest.TestCase):
    def test_promtool_accepts_the_alert_rules(self) -> None:
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool is missing: run scripts/setup (Debian package prometheus)")
        run = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("SUCCESS", run.stdout)

    def test_the_dashboard_is_a_grafana_dashboard(self) -> None:
        dashboard = json.loads(DASHBOARD.read_text())
        self.assertEqual(dashboard["uid"], "agentrt-fleet")
        self.assertTrue(dashboard["title"])
        ids = [p["id"] for p in dashboard["panels"]]
        self.assertEqual(len(ids), len(set(ids)), "panel ids are unique")
        for panel in dashboard["panels"]:
            self.assertIn("gridPos", panel, panel.get("title"))
            if panel["type"] != "row":
                self.assertTrue(panel["targets"], panel["title"])
        titles = " ".join(p["title"].lower() for p in dashboard["panels"])
        for topic in ("throughput", "p50 / p99", "active sessions", "lease churn", "errors", "inbox lag"):
            self.assertIn(topic, titles)

    def test_rules_and_dashboard_use_only_exposed_metrics(self) -> None:
        exposed = exposed_families()
        used: dict[str, set[str]] = {}
        for expr in dashboard_exprs(json.loads(DASHBOARD.read_text())):
            for name in series_names(expr):
                used.setdefault(name, set()).add("dashboard")
        for name in series_names(RULES.read_text()):
            used.setdefault(name, set()).add("alerts")
        self.assertTrue(used)
        unknown = {name: sorted(where) for name, where in used.items() if name not in exposed}
        self.assertEqual(unknown, {}, f"not exposed by agentrt serve (see {NAMES})")


if __name__ == "__main__":
    sys.exit(unittest.main())
