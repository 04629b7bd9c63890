"""While the server drains, every response the app writes says ``Connection: close``."""

from __future__ import annotations

import pytest

from petsage.app import create_app
from petsage.health.lifecycle import Lifecycle
from petsage.settings import Settings

PATHS = ["/api/v1/smoke-test", "/api/v1/health/ready", "/api/v1/nope", "/api/v1/ui/", "/"]


@pytest.mark.parametrize("path", PATHS)
def test_responses_say_connection_close_while_draining(path: str) -> None:
    """Answers, errors and docs alike carry Connection: close once draining begins, and not
    before."""
    lifecycle = Lifecycle()
    app = create_app(Settings(), validate_responses=True, lifecycle=lifecycle)
    with app.test_client(follow_redirects=False) as client:
        assert "connection" not in client.get(path).headers
        lifecycle.draining = True
        assert client.get(path).headers["connection"] == "close"
