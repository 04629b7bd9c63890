"""PetSage API: the contract-first smoke-test and health service of the PetSage ecosystem."""

from __future__ import annotations

from importlib.metadata import version

__version__ = version("petsage")

__all__ = ["__version__"]
