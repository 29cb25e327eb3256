"""Exceptions raised by :mod:`coverage`.

Every exception subclasses a built-in (``ValueError``, ``TypeError`` or
``RuntimeError``), so existing ``except`` clauses keep working.
"""

from __future__ import annotations

__all__ = [
    "CRSError",
    "ConfigError",
    "CoverageError",
    "InputError",
    "ParameterError",
    "SolverError",
]


class CoverageError(Exception):
    """Base class of every error raised on purpose by :mod:`coverage`."""


class InputError(CoverageError, ValueError):
    """A layer, column or value given by the user is unusable as it is."""


class CRSError(InputError):
    """A coordinate reference system is missing, mixed or not in metres."""


class ParameterError(CoverageError, ValueError):
    """A parameter is out of its allowed range or of the wrong kind."""


class SolverError(CoverageError, RuntimeError):
    """A solver failed in a way the caller cannot fix by changing the input."""


class ConfigError(InputError):
    """A configuration file has a missing, unknown or out-of-range key."""
