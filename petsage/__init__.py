"""PetSage API: the contract-first smoke-test and health service of the PetSage ecosystem."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # Read from package metadata on first use: ``petsage probe`` imports this package and never
    # needs it, and importlib.metadata is a tenth of its start-up.
    if name == "__version__":
        from importlib.metadata import version

        return version("petsage")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
