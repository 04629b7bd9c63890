"""The ``petsage`` command: parse options, hand typed settings to the code that acts on them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from petsage import __version__
from petsage.server import serve
from petsage.settings import Settings

EXIT_OK = 0
EXIT_CONFIG = 78  # sysexits EX_CONFIG: the settings are wrong


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="petsage", description="PetSage API: the contract-first smoke-test service."
    )
    parser.add_argument("--version", action="version", version=f"petsage {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve_parser = commands.add_parser(
        "serve",
        help="serve the API",
        description="Serve the API with uvicorn. Each option overrides its PETSAGE_* variable.",
        argument_default=argparse.SUPPRESS,
    )
    defaults = Settings.model_fields
    serve_parser.add_argument(
        "--host", help=f"address to listen on (PETSAGE_HOST, default {defaults['host'].default})"
    )
    serve_parser.add_argument(
        "--port", type=int, help=f"TCP port (PETSAGE_PORT, default {defaults['port'].default})"
    )
    serve_parser.add_argument(
        "--workers",
        type=int,
        help=f"worker processes (PETSAGE_WORKERS, default {defaults['workers'].default})",
    )
    serve_parser.add_argument(
        "--log-level",
        choices=["critical", "error", "warning", "info", "debug", "trace"],
        help=f"lowest level logged (PETSAGE_LOG_LEVEL, default {defaults['log_level'].default})",
    )
    return parser


def _load_settings(overrides: dict[str, Any]) -> Settings:
    try:
        return Settings(**overrides)  # options beat PETSAGE_* variables
    except ValidationError as error:
        problems = "; ".join(
            f"PETSAGE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors()
        )
        print(f"petsage: invalid settings: {problems}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def main(argv: Sequence[str] | None = None) -> int:
    options = vars(_parser().parse_args(argv))
    command = options.pop("command")
    if command == "serve":
        serve(_load_settings(options))
    return EXIT_OK
