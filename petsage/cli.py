"""The ``petsage`` command: parse options, hand typed settings to the code that acts on them.

Only ``serve`` needs the settings, and with them pydantic and the server: they are imported when
the command is ``serve``, so ``petsage --version`` and ``petsage probe`` stay light.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from petsage import __version__

if TYPE_CHECKING:
    from petsage.health.config import HealthConfig
    from petsage.health.runner import Registration
    from petsage.settings import Settings

EXIT_OK = 0
EXIT_UNHEALTHY = 1  # `petsage probe`: the endpoint did not answer 2xx
EXIT_CONFIG = 78  # sysexits EX_CONFIG: the settings are wrong


def build_parser(command: str | None) -> argparse.ArgumentParser:
    """The parser of ``petsage``, with ``serve``'s options when ``command`` is ``serve``."""
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
    if command == "serve":
        from petsage.flags import add_settings_flags

        add_settings_flags(serve_parser)

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


def load_settings(given: dict[str, Any]) -> Settings:
    """The settings from ``given`` (the options typed) over the ``PETSAGE_*`` variables; exits 78
    naming the option or variable of each bad value, and warns of variables no setting reads."""
    from pydantic import ValidationError

    from petsage.flags import source, unknown_variables
    from petsage.settings import Settings

    warning = unknown_variables(os.environ)
    if warning is not None:
        print(warning, file=sys.stderr)
    try:
        return Settings(**given)  # options beat PETSAGE_* variables
    except ValidationError as error:
        problems = "; ".join(
            f"{source(str(e['loc'][0]), given)}: {e['msg']}" for e in error.errors()
        )
        print(f"petsage: invalid settings: {problems}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def _load_health_config(settings: Settings) -> HealthConfig:
    from petsage.health.config import ConfigError, load_health_config

    try:
        return load_health_config(settings.config)
    except ConfigError as error:
        for line in str(error).splitlines():
            print(f"petsage: invalid config: {line}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def _load_checks(settings: Settings, config: HealthConfig) -> list[Registration]:
    from petsage.health.plugins import PluginError, load_checks

    try:
        return load_checks(settings.checks, taken=config.check_names)
    except PluginError as error:
        print(f"petsage: invalid checks: {error}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    # The command comes first: no option of ``petsage`` itself takes a value.
    options = vars(build_parser(arguments[0] if arguments else None).parse_args(arguments))
    command = options.pop("command")
    if command == "probe":
        from petsage.probe import default_url, probe

        healthy, line = probe(options["url"] or default_url(load_settings({})), options["timeout"])
        print(line)
        return EXIT_OK if healthy else EXIT_UNHEALTHY
    from petsage.server import serve

    settings = load_settings(options)
    config = _load_health_config(settings)
    serve(settings, config, _load_checks(settings, config))
    return EXIT_OK
