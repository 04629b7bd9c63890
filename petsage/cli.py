"""The ``petsage`` command: parse options, hand typed settings to the code that acts on them.

``petsage probe`` runs on the standard library alone (``petsage.probe``): it is handled before
anything imports the settings, pydantic or the server, which ``serve`` imports when it runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from petsage import probe
from petsage.probe import EXIT_CONFIG, EXIT_OK

if TYPE_CHECKING:
    from petsage.health.config import HealthConfig
    from petsage.settings import Settings


def _parser() -> argparse.ArgumentParser:
    from petsage import __version__
    from petsage.settings import Settings

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

    probe.add_arguments(commands.add_parser("probe", **_PROBE_HELP))
    return parser


_PROBE_HELP: dict[str, Any] = {
    "help": "GET a health endpoint: exit 0 on 2xx, 1 otherwise",
    "description": "GET URL and print one line; exit 0 on a 2xx answer, 1 otherwise.",
}


def _probe_parser() -> argparse.ArgumentParser:
    # ``petsage probe``'s own parser: the same options and help as the subcommand, no settings.
    parser = argparse.ArgumentParser(prog="petsage probe", description=_PROBE_HELP["description"])
    probe.add_arguments(parser)
    return parser


def _load_settings(overrides: dict[str, Any]) -> Settings:
    from pydantic import ValidationError

    from petsage.settings import Settings

    try:
        return Settings(**overrides)  # options beat PETSAGE_* variables
    except ValidationError as error:
        problems = "; ".join(
            f"PETSAGE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors()
        )
        print(f"petsage: invalid settings: {problems}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def _load_health_config(settings: Settings) -> HealthConfig:
    from petsage.health.config import ConfigError, load_health_config

    try:
        return load_health_config(settings.config)
    except ConfigError as error:
        print(f"petsage: invalid config: {error}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["probe"]:  # before anything imports Settings: the stdlib-only path
        probing = _probe_parser().parse_args(arguments[1:])
        return probe.run(probing.url, probing.timeout)
    options = vars(_parser().parse_args(arguments))
    options.pop("command")
    from petsage.server import serve

    settings = _load_settings(options)
    serve(settings, _load_health_config(settings))
    return EXIT_OK
