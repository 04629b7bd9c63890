"""The health probes as a client sees them through Connexion's test client: an operator with
the health token (most tests) and an anonymous caller (``test_anonymous_*``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest
from starlette.testclient import TestClient

from petsage.app import create_app
from petsage.health import CheckResult, Registration, named_check
from petsage.health.lifecycle import Lifecycle
from petsage.settings import Settings
from tests.api.test_errors import assert_problem
from tests.conftest import bearer

HEALTH_JSON = "application/health+json"
PROBES = ["/api/v1/health/live", "/api/v1/health/ready", "/api/v1/health/ready/memory"]


async def _down() -> CheckResult:
    return CheckResult(status="fail", output="cannot connect: Connection refused")


async def _leaky() -> None:
    raise RuntimeError("token=s3cr3t")


class Clients(Protocol):
    def __call__(
        self,
        *registrations: Registration,
        lifecycle: Lifecycle | None = None,
        headers: dict[str, str] | None = None,
    ) -> TestClient: ...


@pytest.fixture
def clients(health_token_file: Path) -> Clients:
    """Builds a client of an app with the health token and ``registrations``: by default one
    that sends the token; ``headers={}`` for an anonymous one."""

    def build(
        *registrations: Registration,
        lifecycle: Lifecycle | None = None,
        headers: dict[str, str] | None = None,
    ) -> TestClient:
        app = create_app(
            Settings(health_token_file=health_token_file),
            validate_responses=True,
            checks=registrations,
            lifecycle=lifecycle,
        )
        client: TestClient = app.test_client(headers=bearer() if headers is None else headers)
        return client

    return build


@pytest.fixture
def client(clients: Clients) -> Iterator[TestClient]:
    """An operator: a client with the health token."""
    with clients() as client:
        yield client


DOWN = (
    Registration(named_check("pet-db", _down), measurement="responseTime"),
    Registration(named_check("vet-api", _down), critical=False),
)


@pytest.fixture
def down_client(clients: Clients) -> Iterator[TestClient]:
    """An operator of an app whose critical `pet-db` fails and whose non-critical `vet-api`
    fails too."""
    with clients(*DOWN) as client:
        yield client


@pytest.fixture
def anonymous(clients: Clients) -> Iterator[TestClient]:
    """A caller without a token of the app of ``down_client``."""
    with clients(*DOWN, headers={}) as client:
        yield client


def _body(response: Any) -> dict[str, Any]:
    assert response.headers["content-type"] == HEALTH_JSON
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("path", PROBES)
def test_probe_of_a_healthy_instance_is_200_pass(client: TestClient, path: str) -> None:
    """Each probe answers 200 health+json, no-store, with status pass and the draft's members."""
    body = _body(response := client.get(path))
    assert response.status_code == 200
    assert body["status"] == "pass"
    assert body["version"] == "1"
    assert body["serviceId"] == "petsage-api"
    assert body["checks"]


def test_liveness_reports_event_loop_lag_and_uptime(client: TestClient) -> None:
    """Liveness holds the event loop's lag in ms and the uptime in s, and nothing else."""
    checks = _body(client.get("/api/v1/health/live"))["checks"]
    assert set(checks) == {"event-loop:lag", "uptime"}
    assert checks["event-loop:lag"][0]["observedUnit"] == "ms"
    assert checks["uptime"][0]["observedUnit"] == "s"
    assert checks["uptime"][0]["observedValue"] >= 0


def test_readiness_fails_with_503_when_a_critical_check_fails(down_client: TestClient) -> None:
    """A failing critical check makes readiness 503 fail; a failing non-critical one is warn."""
    response = down_client.get("/api/v1/health/ready")
    body = _body(response)
    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["checks"]["pet-db:responseTime"][0]["status"] == "fail"
    assert body["checks"]["vet-api"][0]["status"] == "warn"
    assert body["checks"]["vet-api"][0]["output"] == "cannot connect: Connection refused"


def test_readiness_is_200_warn_when_only_non_critical_checks_fail(down_client: TestClient) -> None:
    """Excluding the critical check leaves a warn, which is still 200."""
    response = down_client.get("/api/v1/health/ready", params={"exclude": "pet-db"})
    assert response.status_code == 200
    body = _body(response)
    assert body["status"] == "warn"
    assert "pet-db:responseTime" not in body["checks"]


def test_exclude_is_repeatable(down_client: TestClient) -> None:
    """exclude=a&exclude=b skips both checks."""
    response = down_client.get("/api/v1/health/ready?exclude=pet-db&exclude=vet-api")
    assert response.status_code == 200
    assert set(_body(response)["checks"]) == {"shutdown", "event-loop:lag", "memory:rss"}


def test_comma_separated_exclude_is_400_naming_the_parameter(down_client: TestClient) -> None:
    """exclude=a,b is one name no check can have (the contract's form is repeated): 400 naming the
    parameter and the value, not two checks skipped."""
    response = down_client.get("/api/v1/health/ready?exclude=pet-db,vet-api")
    body = assert_problem(response, 400, "Bad Request")
    assert body["detail"].startswith("Query parameter 'exclude': 'pet-db,vet-api' does not match")


def test_one_check_by_name(down_client: TestClient) -> None:
    """/ready/{check} answers for that check alone, with its own status."""
    response = down_client.get("/api/v1/health/ready/pet-db")
    assert response.status_code == 503
    assert set(_body(response)["checks"]) == {"pet-db:responseTime"}
    response = down_client.get("/api/v1/health/ready/vet-api")
    assert response.status_code == 200
    assert _body(response)["status"] == "warn"


def test_unknown_excluded_name_is_400_naming_it(client: TestClient) -> None:
    """exclude=<a name no check has> is a 400 problem that names it."""
    response = client.get("/api/v1/health/ready?exclude=memory&exclude=pet-db")
    body = assert_problem(response, 400, "Bad Request")
    assert body["detail"] == "Query parameter 'exclude': there is no health check named 'pet-db'"


def test_unknown_check_is_404_naming_it(client: TestClient) -> None:
    """/ready/<a name no check has> is a 404 problem that names it."""
    body = assert_problem(client.get("/api/v1/health/ready/pet-db"), 404, "Not Found")
    assert body["detail"] == "There is no health check named 'pet-db'."


@pytest.mark.parametrize(
    "url", ["/api/v1/health/ready/Pet_DB", "/api/v1/health/ready?exclude=Pet%20DB"]
)
def test_badly_spelt_check_name_is_400(client: TestClient, url: str) -> None:
    """A name that is not lowercase words joined by hyphens is refused by the contract."""
    assert_problem(client.get(url), 400, "Bad Request")


def test_check_that_raises_never_leaks_its_error(clients: Clients) -> None:
    """A raising check gives 503 with the exception's class only: no message, no traceback."""
    with clients(Registration(named_check("leaky", _leaky))) as leaky:
        response = leaky.get("/api/v1/health/ready")
    assert response.status_code == 503
    assert _body(response)["checks"]["leaky"][0]["output"] == "check raised RuntimeError"
    assert "s3cr3t" not in response.text
    assert "Traceback" not in response.text


def test_readiness_fails_while_draining_and_liveness_does_not(clients: Clients) -> None:
    """Once the server drains, readiness is 503 fail `shutting down`; liveness stays 200."""
    lifecycle = Lifecycle()
    with clients(lifecycle=lifecycle) as client:
        assert client.get("/api/v1/health/ready").status_code == 200
        lifecycle.draining = True
        response = client.get("/api/v1/health/ready")
        assert response.status_code == 503
        body = _body(response)
        assert (body["status"], body["output"]) == ("fail", "shutting down")
        assert client.get("/api/v1/health/live").status_code == 200
        assert client.get("/api/v1/smoke-test").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/health/ready", "/api/v1/health/ready/memory"])
def test_readiness_and_each_check_agree_while_draining(clients: Clients, path: str) -> None:
    """While draining, /ready and /ready/{check} both answer 503 fail `shutting down`, with the
    `shutdown` check failing beside the checks' own results."""
    lifecycle = Lifecycle()
    with clients(lifecycle=lifecycle) as client:
        lifecycle.draining = True
        body = _body(response := client.get(path))
    assert response.status_code == 503
    assert (body["status"], body["output"]) == ("fail", "shutting down")
    assert body["checks"]["shutdown"][0] == {
        "status": "fail",
        "componentType": "system",
        "output": "shutting down",
        "time": body["checks"]["shutdown"][0]["time"],
    }
    assert body["checks"]["memory:rss"][0]["status"] == "pass"


def test_the_drain_document_keeps_the_checks_results(clients: Clients) -> None:
    """While draining, readiness still reports every check it ran, not an empty `checks`."""
    lifecycle = Lifecycle()
    with clients(lifecycle=lifecycle) as client:
        before = set(_body(client.get("/api/v1/health/ready"))["checks"])
        lifecycle.draining = True
        during = _body(client.get("/api/v1/health/ready"))
        excluded = _body(client.get("/api/v1/health/ready?exclude=shutdown"))
    assert set(during["checks"]) == before == {"shutdown", "event-loop:lag", "memory:rss"}
    # Excluding the shutdown check hides its entry, not the drain.
    assert (excluded["status"], excluded["output"]) == ("fail", "shutting down")
    assert "shutdown" not in excluded["checks"]


def test_the_shutdown_check_passes_until_the_drain(clients: Clients) -> None:
    """/ready/shutdown is 200 pass while serving, and turns 503 fail when the drain begins."""
    lifecycle = Lifecycle()
    with clients(lifecycle=lifecycle) as client:
        assert _body(client.get("/api/v1/health/ready/shutdown"))["status"] == "pass"
        lifecycle.draining = True
        response = client.get("/api/v1/health/ready/shutdown")
    assert response.status_code == 503
    assert set(_body(response)["checks"]) == {"shutdown"}


@pytest.mark.parametrize("path", PROBES)
def test_head_has_the_status_and_headers_of_get(client: TestClient, path: str) -> None:
    """HEAD answers like GET, without a body."""
    get, head = client.get(path), client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    for header in ("content-type", "cache-control"):
        assert head.headers[header] == get.headers[header]


def test_checks_that_hold_a_connection_are_closed_at_shutdown(clients: Clients) -> None:
    """A check with `aclose` has it called once the app's lifespan ends, not before."""

    class Held:
        name = "held"
        closed = 0

        async def check(self) -> CheckResult:
            return CheckResult()

        async def aclose(self) -> None:
            self.closed += 1

    held = Held()
    with clients(Registration(held)) as client:
        assert client.get("/api/v1/health/ready/held").status_code == 200
        assert held.closed == 0
    assert held.closed == 1


# What a caller without the token learns: the status and the service, nothing of the checks.
SUMMARY_KEYS = {"status", "version", "releaseId", "serviceId", "description"}
SECRETS = ("pet-db", "vet-api", "Connection refused", "event-loop", "memory", "uptime", "observed")


@pytest.mark.parametrize(
    ("path", "status", "verdict"),
    [("/api/v1/health/live", 200, "pass"), ("/api/v1/health/ready", 503, "fail")],
)
def test_anonymous_probes_answer_the_status_and_the_service_only(
    anonymous: TestClient, path: str, status: int, verdict: str
) -> None:
    """Without a token liveness and readiness keep their status code and answer the status and
    what identifies the service; no check name, reason or observed value."""
    body = _body(response := anonymous.get(path))
    assert response.status_code == status
    assert set(body) == SUMMARY_KEYS
    assert (body["status"], body["serviceId"], body["version"]) == (verdict, "petsage-api", "1")
    for secret in SECRETS:
        assert secret not in response.text


@pytest.mark.parametrize("check", ["pet-db", "memory", "no-such-check"])
def test_anonymous_per_check_paths_are_404_whatever_the_name(
    anonymous: TestClient, check: str
) -> None:
    """Without a token every per-check path answers as a path that does not exist, so that no
    answer tells which checks exist."""
    body = assert_problem(anonymous.get(f"/api/v1/health/ready/{check}"), 404, "Not Found")
    assert body["detail"] == "The requested URL was not found on the server."


def test_anonymous_exclude_of_an_unknown_name_is_ignored(anonymous: TestClient) -> None:
    """Without a token an `exclude` naming no check is not a 400 that would confirm the others;
    a known name is still excluded."""
    unknown = anonymous.get("/api/v1/health/ready?exclude=no-such-check")
    assert (unknown.status_code, _body(unknown)["status"]) == (503, "fail")
    known = anonymous.get("/api/v1/health/ready?exclude=pet-db")
    assert (known.status_code, _body(known)["status"]) == (200, "warn")


@pytest.mark.parametrize("path", [*PROBES, "/api/v1/health/ready/no-such-check"])
def test_a_wrong_token_is_401_with_www_authenticate(clients: Clients, path: str) -> None:
    """A bearer token that is not the health token is a 401 problem naming the scheme."""
    with clients(headers=bearer("not-the-token")) as client:
        response = client.get(path)
        head = client.head(path)
    assert_problem(response, 401, "Unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer ")
    assert (head.status_code, head.headers["www-authenticate"]) == (
        401,
        response.headers["www-authenticate"],
    )


def test_any_token_is_401_when_none_is_configured() -> None:
    """With no health token configured, a bearer token is refused, not silently ignored."""
    app = create_app(Settings(), validate_responses=True)
    with app.test_client(headers=bearer()) as client:
        assert_problem(client.get("/api/v1/health/ready"), 401, "Unauthorized")


def test_a_token_file_replaced_takes_effect_on_the_next_request(tmp_path: Path) -> None:
    """A rotated token file (a new file behind the path) is read again: the old token is
    refused from then on, the new one granted."""
    path = tmp_path / "token"
    path.write_text("first-token\n")
    app = create_app(Settings(health_token_file=path), validate_responses=True)
    with app.test_client() as client:
        assert "checks" in client.get("/api/v1/health/live", headers=bearer("first-token")).json()
        replacement = tmp_path / "token.new"
        replacement.write_text("second-token")
        replacement.replace(path)
        assert client.get("/api/v1/health/live", headers=bearer("first-token")).status_code == 401
        assert "checks" in client.get("/api/v1/health/live", headers=bearer("second-token")).json()
