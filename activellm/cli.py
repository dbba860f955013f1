"""Argument helpers shared by the scripts."""

from __future__ import annotations

import argparse

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def strict_bool(value: str) -> bool:
    """``true``/``false`` (any case, also 1/0, yes/no); anything else is an error, never a silent False."""
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


def add_flag(parser: argparse.ArgumentParser, name: str, help: str) -> None:
    """A boolean flag: ``--name`` alone is true; ``--name true``/``--name false`` as in the original scripts."""
    parser.add_argument(name, nargs="?", const=True, default=False, type=strict_bool, help=help)


def seeds(value: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in value.replace(",", " ").split())
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds are whole numbers separated by spaces or commas, got {value!r}")


def int_or_auto(value: str) -> int | str:
    """A positive whole number, or ``auto``."""
    if value == "auto":
        return value
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number or auto, got {value!r}")
    return number
