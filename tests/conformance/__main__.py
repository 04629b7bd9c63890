"""``python -m tests.conformance serve --port N``: ``petsage serve`` (settings from the
``PETSAGE_*`` variables) with the conformance contract served beside the product's, its handlers
given the in-memory visit store; ``petsage.testing.running_server(module="tests.conformance")``
runs it."""

from __future__ import annotations

import argparse

from petsage.app import product_contract
from petsage.cli import load_settings
from petsage.health.config import load_health_config
from petsage.server import serve
from tests.conformance import conformance_document
from tests.conformance.visits import visit_services


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.conformance")
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("--port", type=int, required=True)
    settings = load_settings({"port": parser.parse_args().port})
    serve(
        settings,
        load_health_config(settings.config),
        contract=[*product_contract(), conformance_document()],
        services=visit_services,
    )


main()
