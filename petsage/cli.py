"""The ``petsage`` command: parse options, hand typed settings to the code that acts on them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from petsage import __version__
from petsage.health.config import ConfigError, HealthConfig, load_health_config
from petsage.health.plugins import PluginError, load_checks
from petsage.health.runner import Registration
from petsage.probe import default_url, probe
from petsage.server import serve
from petsage.settings import Settings

EXIT_OK = 0
EXIT_UNHEALTHY = 1  # `petsage probe`: the endpoint did not answer 2xx
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
    serve_parser.add_argument(
        "--config",
        metavar="FILE",
        help="TOML file with the health checks (PETSAGE_CONFIG, default none)",
    )

    probe_parser = commands.add_parser(
        "probe",
        help="GET a health endpoint: exit 0 on 2xx, 1 otherwise",
        description="GET URL and print one line; exit 0 on a 2xx answer, 1 otherwise.",
    )
    probe_parser.add_argument(
        "url",
        nargs="?",
        metavar="URL",
        help="default: the readiness endpoint at PETSAGE_HOST and PETSAGE_PORT",
    )
    probe_parser.add_argument(
        "--timeout", type=float, default=2.0, help="seconds to wait (default 2.0)"
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


def _load_health_config(settings: Settings) -> HealthConfig:
    try:
        return load_health_config(settings.config)
    except ConfigError as error:
        for line in str(error).splitlines():
            print(f"petsage: invalid config: {line}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def _load_checks(settings: Settings, config: HealthConfig) -> list[Registration]:
    try:
        return load_checks(settings.checks, taken=config.check_names)
    except PluginError as error:
        print(f"petsage: invalid checks: {error}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def main(argv: Sequence[str] | None = None) -> int:
    options = vars(_parser().parse_args(argv))
    command = options.pop("command")
    if command == "probe":
        healthy, line = probe(options["url"] or default_url(_load_settings({})), options["timeout"])
        print(line)
        return EXIT_OK if healthy else EXIT_UNHEALTHY
    settings = _load_settings(options)
    config = _load_health_config(settings)
    serve(settings, config, _load_checks(settings, config))
    return EXIT_OK
