"""The seams of uvicorn that ``petsage serve --workers N`` relies on to drain every worker."""

from __future__ import annotations

import pytest
from uvicorn.supervisors import Multiprocess, multiprocess

from petsage.server import DrainingWorker


@pytest.mark.parametrize(
    "method", ["init_processes", "restart_all", "keep_subprocess_alive", "handle_ttin"]
)
def test_supervisor_builds_workers_through_its_module_process(method: str) -> None:
    """Every place uvicorn's supervisor starts a worker looks up ``Process`` in its module."""
    assert "Process" in getattr(Multiprocess, method).__code__.co_names


def test_workers_run_the_server_their_process_builds() -> None:
    """A worker runs ``self.server``, the property DrainingWorker overrides."""
    assert isinstance(multiprocess.Process.server, property)
    assert "server" in multiprocess.Process.target.__code__.co_names
    assert issubclass(DrainingWorker, multiprocess.Process)
