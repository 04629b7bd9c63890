"""Handlers of the smoke-test operations (tag ``System Health``)."""

from __future__ import annotations

from petsage.api.responses import NO_STORE, HandlerResult, json_response
from petsage.services.smoke import run_smoke_test


async def get_smoke_test() -> HandlerResult:
    return json_response(run_smoke_test(), headers=NO_STORE)


# The deprecated ``/smoke_test`` path is the same operation under another operationId.
get_smoke_test_legacy = get_smoke_test
