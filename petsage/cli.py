"""The ``petsage`` command: parse options, hand typed settings to the code that acts on them.

``petsage probe`` runs on the standard library alone (``petsage.probe``): it is handled before
anything imports the settings, pydantic or the server. Only ``serve`` needs those, and its options
(one per ``Settings`` field, ``petsage.flags``) are built only when the command is ``serve``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from petsage import probe
from petsage.probe import EXIT_CONFIG, EXIT_OK

if TYPE_CHECKING:
    from petsage.health.config import HealthConfig
    from petsage.health.typing import Registration
    from petsage.settings import Settings

__all__ = ["EXIT_CONFIG", "EXIT_OK", "build_parser", "load_settings", "main"]

_PROBE_HELP: dict[str, Any] = {
    "help": "GET a health endpoint: exit 0 on 2xx, 1 otherwise",
    "description": "GET URL and print one line; exit 0 on a 2xx answer, 1 otherwise.",
}


def build_parser(command: str | None) -> argparse.ArgumentParser:
    """The parser of ``petsage``, with ``serve``'s options when ``command`` is ``serve``."""
    from petsage import __version__

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

    probe.add_arguments(commands.add_parser("probe", **_PROBE_HELP))
    return parser


def _probe_parser() -> argparse.ArgumentParser:
    # ``petsage probe``'s own parser: the same options and help as the subcommand, no settings.
    parser = argparse.ArgumentParser(prog="petsage probe", description=_PROBE_HELP["description"])
    probe.add_arguments(parser)
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
    if arguments[:1] == ["probe"]:  # before anything imports Settings: the stdlib-only path
        probing = _probe_parser().parse_args(arguments[1:])
        return probe.run(probing.url, probing.timeout)
    # The command comes first: no option of ``petsage`` itself takes a value.
    options = vars(build_parser(arguments[0] if arguments else None).parse_args(arguments))
    options.pop("command")
    from petsage.server import serve

    settings = load_settings(options)
    config = _load_health_config(settings)
    serve(settings, config, _load_checks(settings, config))
    return EXIT_OK
