"""deploy/prometheus/petsage-rules.yaml: clean for promtool, its unit tests pass, every alert is
documented, every series it names is one a real PetSage exposes, and a real Prometheus loaded with
it sees the readiness alerts pending against a failing check and nothing against a healthy one."""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from petsage.testing import free_port, running_server
from tests.metrics.prometheus import (
    PROMTOOL,
    api,
    needs_prometheus,
    query,
    running_prometheus,
    scrape,
    smoke,
    wait_for,
)
from tests.metrics.promql import Selector, selectors

ROOT = Path(__file__).parents[2]
RULES = ROOT / "deploy" / "prometheus" / "petsage-rules.yaml"
UNIT_TESTS = Path(__file__).with_name("petsage-rules.test.yaml")
RUNBOOKS = ROOT / "docs" / "runbooks.md"
# Where docs/runbooks.md is published: every runbook_url is this and an anchor (docs/alerting.md).
RUNBOOK_BASE = "https://petsage.example.com/docs/runbooks.md"
# Made by Prometheus for every target: not PetSage's to expose.
PROMETHEUS_SERIES = frozenset({"up"})
# The label Prometheus gives every series of a scrape: not PetSage's either.
TARGET_LABELS = frozenset({"job", "instance"})
SEVERITIES = frozenset({"critical", "warning"})


def _rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def _alerts() -> list[dict[str, Any]]:
    return [rule for rule in _rules() if "alert" in rule]


def _alert_names() -> set[str]:
    return {rule["alert"] for rule in _alerts()}


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PROMTOOL), *args], capture_output=True, text=True, timeout=120, check=False
    )


@needs_prometheus
def test_promtool_check_rules_finds_nothing_to_fix() -> None:
    """`promtool check rules` (with its linter) accepts the rule file without a word of warning."""
    result = _promtool("check", "rules", str(RULES))
    assert (result.returncode, result.stderr) == (0, ""), result.stdout
    assert f"SUCCESS: {len(_rules())} rules found" in result.stdout


@needs_prometheus
def test_promtool_unit_tests_of_the_rules_pass() -> None:
    """Every alert fires on the synthetic series where it should and stays silent on the others
    (tests/metrics/petsage-rules.test.yaml)."""
    result = _promtool("test", "rules", str(UNIT_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_unit_tests_where_it_fires_and_where_it_stays_silent() -> None:
    """For each alert (each burn-rate window pair too) the unit tests expect it firing somewhere
    and not firing somewhere else."""
    cases = [
        case
        for test in yaml.safe_load(UNIT_TESTS.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
    ]
    firing = {
        (case["alertname"], tuple(sorted(expected["exp_labels"].items())))
        for case in cases
        for expected in case["exp_alerts"]
    }
    silent = {case["alertname"] for case in cases if not case["exp_alerts"]}
    assert {name for name, _ in firing} == _alert_names()
    assert silent == _alert_names()
    windows = {
        (rule["labels"]["long_window"], rule["labels"]["short_window"])
        for rule in _alerts()
        if "long_window" in rule["labels"]
    }
    fired_windows = {
        (labels["long_window"], labels["short_window"])
        for _, label_items in firing
        if "long_window" in (labels := dict(label_items))
    }
    assert windows == fired_windows == {("1h", "5m"), ("6h", "30m"), ("1d", "2h"), ("3d", "6h")}


@pytest.mark.parametrize("rule", _alerts(), ids=lambda rule: rule["alert"])
def test_every_alert_has_a_severity_a_summary_a_description_and_a_runbook(
    rule: dict[str, Any],
) -> None:
    """Alertmanager can route each alert by severity, and the page says what broke and where the
    runbook is."""
    assert rule["labels"]["severity"] in SEVERITIES
    assert {"summary", "description", "runbook_url"} <= rule["annotations"].keys()


@pytest.mark.parametrize("rule", _alerts(), ids=lambda rule: rule["alert"])
def test_every_runbook_url_is_a_section_of_docs_runbooks(rule: dict[str, Any]) -> None:
    """Each runbook_url is the runbooks' one base URL and the anchor of a heading of
    docs/runbooks.md: the alert's own section."""
    base, _, anchor = rule["annotations"]["runbook_url"].partition("#")
    assert base == RUNBOOK_BASE
    # GitHub's anchor of the heading "## PetSageNotReady" is "petsagenotready".
    assert anchor == rule["alert"].lower()
    assert f"\n## {rule['alert']}\n" in RUNBOOKS.read_text()


def test_every_runbook_is_an_alerts() -> None:
    """docs/runbooks.md has one second-level section per alert and no other."""
    sections = re.findall(r"^## (.+)$", RUNBOOKS.read_text(), re.MULTILINE)
    assert sorted(sections) == sorted(_alert_names())


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('up{job="petsage"} == 0', [Selector("up", {"job": "petsage"})]),
        (
            'sum by (job, le) (rate(a_bucket{x="1",y=~"5.."}[5m])) / on (job) group_left b'
            " unless c{z='{3}'} > 1e3",
            [Selector("a_bucket", {"x": "1"}), Selector("b"), Selector("c", {"z": "{3}"})],
        ),
        ("histogram_quantile(0.99, sum(rate(d[1h])) without (pod)) offset 5m", [Selector("d")]),
        ("absent(e) and time() - f > 300 or bool g", [Selector("e"), Selector("f"), Selector("g")]),
    ],
)
def test_the_tokenizer_finds_each_selector_and_its_equality_matchers(
    expression: str, expected: list[Selector]
) -> None:
    """Functions, aggregations, grouping labels, keywords, ranges, numbers and strings are not
    taken for series."""
    assert selectors(expression) == expected


def _scraped_samples(management: int) -> dict[str, list[dict[str, str]]]:
    """Each sample name of a scrape of the management port, with the labels of its samples."""
    deadline = time.monotonic() + 30
    while True:
        try:
            text = scrape(management)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    samples: dict[str, list[dict[str, str]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample.labels)
    return samples


def test_every_series_the_rules_select_is_one_a_live_petsage_exposes() -> None:
    """The metric names the expressions select (recording rules' outputs and Prometheus's own
    `up` aside) are all in a scrape of a real `petsage serve`'s management port, and each
    equality matcher matches a series there: no alert waits on a series that never comes."""
    recorded = {rule["record"] for rule in _rules() if "record" in rule}
    selected = [
        selector
        for rule in _rules()
        for selector in selectors(rule["expr"])
        if selector.metric not in recorded | PROMETHEUS_SERIES
    ]
    assert {"petsage_http_requests_total", "petsage_health_probe_status"} <= {
        selector.metric for selector in selected
    }
    management = free_port()
    with running_server(env={"PETSAGE_MANAGEMENT_PORT": str(management)}) as live:
        smoke(live.port, 1)
        for probe in ("live", "ready"):
            urllib.request.urlopen(f"http://127.0.0.1:{management}/api/v1/health/{probe}").close()
        samples = _scraped_samples(management)
    missing = {selector.metric for selector in selected} - samples.keys()
    assert not missing, f"the rules select series PetSage does not expose: {sorted(missing)}"
    for selector in selected:
        wanted = {k: v for k, v in selector.equal.items() if k not in TARGET_LABELS}
        assert any(wanted.items() <= labels.items() for labels in samples[selector.metric]), (
            selector
        )


@contextmanager
def _probed(management: int) -> Iterator[None]:
    """Ask readiness on the management port every half second, as the kubelet does: checks run
    when a probe asks."""
    stop = threading.Event()

    def probe() -> None:
        while not stop.is_set():
            try:
                urllib.request.urlopen(
                    f"http://127.0.0.1:{management}/api/v1/health/ready", timeout=5
                ).close()
            except urllib.error.HTTPError:
                pass  # 503: not ready, which is what some tests want
            except OSError:
                pass  # the listener not up yet
            stop.wait(0.5)

    thread = threading.Thread(target=probe, name="kubelet")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@contextmanager
def _watched_petsage(tmp_path: Path, check_target: str) -> Iterator[tuple[int, int]]:
    """A `petsage serve` with one critical tcp check of ``check_target``, probed, and a Prometheus
    loaded with the shipped rules scraping its management port: (Prometheus's port, the
    management port)."""
    config = tmp_path / "health.toml"
    config.write_text(
        '[[health.checks]]\nname = "pet-db"\ntype = "tcp"\n'
        f'target = "{check_target}"\ntimeout = 0.5\ncritical = true\n'
    )
    management = free_port()
    env = {"PETSAGE_MANAGEMENT_PORT": str(management), "PETSAGE_CONFIG": str(config)}
    with (
        running_server(env=env),
        _probed(management),
        running_prometheus(management, rules=RULES) as prometheus,
    ):
        yield prometheus, management


def _alerts_in_state(prometheus: int, state: str) -> list[dict[str, str]]:
    return [sample["metric"] for sample in query(prometheus, f'ALERTS{{alertstate="{state}"}}')]


@needs_prometheus
def test_prometheus_sees_the_readiness_alerts_pending_when_a_critical_check_fails(
    tmp_path: Path,
) -> None:
    """With the check's port closed, Prometheus evaluating the shipped rules holds
    PetSageNotReady and PetSageCriticalCheckFailing (check pet-db) pending, and fires nothing
    before their `for`."""
    with _watched_petsage(tmp_path, f"127.0.0.1:{free_port()}") as (prometheus, management):
        wanted = {"PetSageNotReady", "PetSageCriticalCheckFailing"}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            pending = _alerts_in_state(prometheus, "pending")
            if wanted <= {alert["alertname"] for alert in pending}:
                break
            time.sleep(0.5)
        firing = _alerts_in_state(prometheus, "firing")
    by_name = {alert["alertname"]: alert for alert in pending}
    assert wanted <= by_name.keys(), pending
    assert by_name["PetSageCriticalCheckFailing"]["check"] == "pet-db"
    for name in wanted:
        assert by_name[name]["instance"] == f"127.0.0.1:{management}"
        assert by_name[name]["severity"] == "warning"
    assert firing == []


def _evaluated_since(prometheus: int, since: float) -> bool:
    """Whether every rule group has been evaluated since ``since`` (a Unix time)."""
    data = api(prometheus, "/api/v1/rules")
    if data is None:
        return False
    for group in data["groups"]:
        stamp = re.sub(r"(\.\d{6})\d*", r"\1", group["lastEvaluation"]).replace("Z", "+00:00")
        if datetime.fromisoformat(stamp).timestamp() <= since:
            return False
    return True


@needs_prometheus
def test_prometheus_sees_nothing_pending_for_a_healthy_petsage(tmp_path: Path) -> None:
    """With the check's port open, once Prometheus has scraped PetSage passing readiness and
    evaluated every rule group since, no alert is pending or firing."""
    with (
        socket.create_server(("127.0.0.1", 0)) as listening,
        _watched_petsage(tmp_path, f"127.0.0.1:{listening.getsockname()[1]}") as (prometheus, _),
    ):
        passing = 'petsage_health_check_status{check="pet-db",status="pass"}'
        assert wait_for(prometheus, passing, 1) == 1
        assert (
            wait_for(prometheus, 'petsage_health_probe_status{probe="readiness",status="pass"}', 1)
            == 1
        )
        seen = time.time()
        deadline = time.monotonic() + 30
        while not _evaluated_since(prometheus, seen + 1) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _evaluated_since(prometheus, seen + 1)
        alerts = query(prometheus, "ALERTS")
        # The query itself works: the rule file is loaded.
        assert len(api(prometheus, "/api/v1/rules")["groups"]) == 6
    assert alerts == []
