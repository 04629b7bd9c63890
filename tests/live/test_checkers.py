"""Requests built byte for byte as real health checkers send them, under PETSAGE_ALLOWED_HOSTS.

The kubelet, load balancers and Prometheus address a pod by its IP: ``Host`` is an IP literal
that no allow-list of names can hold, so the monitoring operations accept IP literals.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from petsage.testing import LiveServer, free_port, running_server
from tests.live.command import run_petsage
from tests.live.raw import exchange

ALLOWED = "api.petsage.test"

# What each checker sends (Go's net/http for the kubelet and Prometheus; the ALB's and Google's
# health checkers as their documentation and captures show them).
KUBELET_IPV4 = (
    b"GET /api/v1/health/live HTTP/1.1\r\nHost: 10.1.2.3:8000\r\nUser-Agent: kube-probe/1.35\r\n"
    b"Accept: */*\r\nConnection: close\r\nAccept-Encoding: gzip\r\n\r\n"
)
KUBELET_IPV6 = (
    b"GET /api/v1/health/ready HTTP/1.1\r\nHost: [fd00::1]:8000\r\nUser-Agent: kube-probe/1.35\r\n"
    b"Accept: */*\r\nConnection: close\r\nAccept-Encoding: gzip\r\n\r\n"
)
AWS_ALB = (
    b"GET /api/v1/health/ready HTTP/1.1\r\nHost: 10.0.0.5:8000\r\nConnection: close\r\n"
    b"User-Agent: ELB-HealthChecker/2.0\r\nAccept-Encoding: gzip, compressed\r\n\r\n"
)
GCP = (
    b"GET /api/v1/smoke-test HTTP/1.1\r\nHost: 35.191.0.1\r\nUser-Agent: GoogleHC/1.0\r\n"
    b"Connection: Keep-alive\r\n\r\n"
)
PROMETHEUS = (
    b"GET /metrics HTTP/1.1\r\nHost: 10.1.2.3:9000\r\nUser-Agent: Prometheus/2.42.0\r\n"
    b"Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
    b"version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
    b"Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 1\r\n\r\n"
)
PROBES = {"kubelet-ipv4": KUBELET_IPV4, "kubelet-ipv6": KUBELET_IPV6, "aws-alb": AWS_ALB}
MAIN_PORT = {**PROBES, "gcp": GCP}
# The smoke test is served on the main port only; the metrics, with a management port, here only.
MANAGEMENT_PORT = {**PROBES, "prometheus": PROMETHEUS}


@pytest.fixture(scope="module")
def checked() -> Iterator[tuple[LiveServer, int]]:
    """A server with an allow-list of one name and a management port."""
    management = free_port()
    env = {"PETSAGE_ALLOWED_HOSTS": ALLOWED, "PETSAGE_MANAGEMENT_PORT": str(management)}
    with running_server(env=env) as live:
        yield live, management


@pytest.mark.parametrize("request_bytes", MAIN_PORT.values(), ids=MAIN_PORT.keys())
def test_checkers_get_200_on_the_main_port(
    checked: tuple[LiveServer, int], request_bytes: bytes
) -> None:
    """The kubelet (IPv4 and IPv6), an AWS ALB and a GCP health check get 200 on the main port."""
    live, _ = checked
    assert exchange(live.port, request_bytes).statuses == [200]


@pytest.mark.parametrize("request_bytes", MANAGEMENT_PORT.values(), ids=MANAGEMENT_PORT.keys())
def test_checkers_get_200_on_the_management_port(
    checked: tuple[LiveServer, int], request_bytes: bytes
) -> None:
    """The same probes, and a Prometheus scrape, get 200 on the management port."""
    _, management = checked
    result = exchange(management, request_bytes)
    assert result.statuses == [200]


def test_the_prometheus_scrape_is_openmetrics(checked: tuple[LiveServer, int]) -> None:
    """Prometheus's Accept header gets OpenMetrics, ending in `# EOF`."""
    _, management = checked
    response = exchange(management, PROMETHEUS).responses[0]
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.body.endswith(b"# EOF\n")


@pytest.mark.parametrize(
    ("request_bytes", "why"),
    [
        (GCP.replace(b"35.191.0.1", b"rebind.attacker.example"), "a name off the list"),
        (GCP.replace(b"/api/v1/smoke-test", b"/"), "an IP literal off the monitoring paths"),
        (GCP.replace(b"/api/v1/smoke-test", b"/api/v1/openapi.json"), "the contract by IP"),
    ],
)
def test_off_list_hosts_stay_400(
    checked: tuple[LiveServer, int], request_bytes: bytes, why: str
) -> None:
    """A name off the list is 400 everywhere; an IP literal is 400 off the monitoring paths."""
    live, _ = checked
    result = exchange(live.port, request_bytes, until_closed=True)
    assert result.statuses == [400], why
    assert "not serve" in str(result.responses[0].problem()["detail"])


def test_a_listed_name_reaches_every_path(checked: tuple[LiveServer, int]) -> None:
    """The listed name still reaches the paths an IP literal cannot."""
    live, _ = checked
    request = GCP.replace(b"35.191.0.1", ALLOWED.encode()).replace(b"/api/v1/smoke-test", b"/")
    assert exchange(live.port, request).statuses == [200]


def test_star_allows_any_host() -> None:
    """PETSAGE_ALLOWED_HOSTS=* accepts any HTTP/1.1 Host on any path."""
    with running_server(env={"PETSAGE_ALLOWED_HOSTS": "*"}) as live:
        request = b"GET / HTTP/1.1\r\nHost: anything.example:8000\r\n\r\n"
        assert exchange(live.port, request).statuses == [200]


@pytest.mark.parametrize("value", ["[1,2]", "garbage!!", "api.example:8000"])
def test_an_invalid_allow_list_exits_78_naming_it(value: str) -> None:
    """An allow-list entry that is not a name, an address or * stops the server with exit 78."""
    result = run_petsage(
        "serve",
        "--port",
        str(free_port()),
        env={"PETSAGE_ALLOWED_HOSTS": value, "PATH": ""},
        timeout=30,
    )
    assert result.returncode == 78
    assert "PETSAGE_ALLOWED_HOSTS" in result.stderr
