"""Asking an OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp server) for a selection.

The ``openai`` client retries rate limits (429), server errors (5xx), timeouts and dropped connections with
exponential backoff (honouring Retry-After); a final failure becomes an LLMError that says what happened. When
the reply holds fewer valid picks than asked for, a follow-up message in the same conversation asks for the
missing ones, a bounded number of times. The API key is read from OPENAI_API_KEY and never written anywhere:
metadata records the endpoint without credentials or query.

Answers come as free text (``text``, the paper's way: the prompt asks for a comma-separated list) or as JSON
(``json``: OpenAI's ``response_format`` with a JSON schema of exactly the picks needed among the numbers shown, and a
``reasoning`` string first where the prompt asks the model to think); ``auto`` asks for JSON and falls back to free
text where the endpoint refuses the parameter. Either way the reply goes through the same parser
(activellm.prompts.answers reads a JSON object's ``picks``), drop and repeat checks and follow-ups; the metadata
records the format used.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence
from urllib.parse import urlsplit, urlunsplit

from activellm.errors import UserError
from activellm.prompts.answers import ASSISTANT_TURN, USER_TURN, ParsedAnswer

DEFAULT_LLM = "gpt-4o"
ANSWER_FORMATS = ("json", "text", "auto")
REASONING_CHARACTERS = 800  # a JSON answer's room to think before its picks (its first turn only)
FOLLOW_UP = ("Your answer names {have} valid instances, but {expected} are needed. Please choose {missing} more "
             "instances from those shown, different from the ones you already chose, and give their numbers as "
             "a comma-separated list.")


class LLMError(UserError, RuntimeError):
    """The endpoint could not give an answer; the message says what happened and never holds the key."""


@dataclass(frozen=True)
class LLMSettings:
    model: str = DEFAULT_LLM
    base_url: str | None = None  # None: OPENAI_BASE_URL, else OpenAI's
    timeout: float = 600.0
    retries: int = 5
    follow_ups: int = 2
    temperature: float | None = None
    answer_format: str = "text"  # json, text or auto (ANSWER_FORMATS)
    max_tokens: int | None = None  # the answer's room (an embedded model's context holds prompt and answer)


@dataclass
class Conversation:
    transcript: str  # the assistant's replies, with follow-up messages marked as user turns
    parsed: ParsedAnswer
    metadata: dict = field(default_factory=dict)


def public_endpoint(base_url: str | None) -> str:
    """The endpoint as it may be written down: no user, password or query string."""
    if not base_url:
        return "https://api.openai.com/v1"
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def make_client(settings: LLMSettings):
    from openai import OpenAI

    base_url = settings.base_url or os.environ.get("OPENAI_BASE_URL")
    api_key = os.environ.get("OPENAI_API_KEY")
    if not api_key:
        if not base_url:
            raise LLMError("OPENAI_API_KEY is not set. Export it (export OPENAI_API_KEY=...), or point --base-url "
                           "at a local OpenAI-compatible server (vLLM, Ollama, llama.cpp), which needs no key.")
        api_key = "not-needed"  # local servers ignore the key; the client insists on one
    return OpenAI(api_key=api_key, base_url=base_url, timeout=settings.timeout, max_retries=settings.retries)


def _scrub(text: str) -> str:
    key = os.environ.get("OPENAI_API_KEY")
    return text.replace(key, "***") if key else text


def picks_format(count: int, choices: Sequence[int], reasoning: bool) -> dict:
    """OpenAI's ``response_format`` for ``count`` distinct-looking picks among ``choices`` (repeats are still
    dropped by the parser), after a bounded ``reasoning`` string where the prompt asks the model to think."""
    picks = {"type": "array", "items": {"type": "integer", "enum": sorted(choices)}, "minItems": count,
             "maxItems": count}
    properties = {"reasoning": {"type": "string", "maxLength": REASONING_CHARACTERS}} if reasoning else {}
    schema = {"type": "object", "properties": {**properties, "picks": picks}, "required": [*properties, "picks"],
              "additionalProperties": False}
    return {"type": "json_schema", "json_schema": {"name": "picks", "schema": schema, "strict": False}}


def _create(client, settings: LLMSettings, kwargs: dict, response_format: dict | None):
    """The completion, as JSON where ``response_format`` is given; ``auto`` falls back to free text where the
    endpoint refuses it (HTTP 400/422/501). Returns the response and the format used."""
    import openai

    if response_format is None:
        return client.chat.completions.create(**kwargs), "text"
    try:
        return client.chat.completions.create(**kwargs, response_format=response_format), "json"
    except openai.APIStatusError as error:
        refused = getattr(error, "status_code", None) in (400, 422, 501)
        if settings.answer_format != "auto" or not refused:
            if refused:
                raise LLMError(f"The LLM at {public_endpoint(str(client.base_url))} refused a JSON answer "
                               f"(HTTP {error.status_code}: {_scrub(str(error))}): ask with --answer-format text or "
                               "auto.") from error
            raise
        return client.chat.completions.create(**kwargs), "text"


def _ask(client, settings: LLMSettings, messages: list[dict],
         response_format: dict | None = None) -> tuple[str, dict]:
    """One chat completion: the reply and its metadata."""
    import openai

    kwargs = {"model": settings.model, "messages": messages}
    if settings.temperature is not None:
        kwargs["temperature"] = settings.temperature
    if settings.max_tokens is not None:
        kwargs["max_tokens"] = settings.max_tokens
    start = time.perf_counter()
    try:
        response, used = _create(client, settings, kwargs, response_format)
    except openai.APITimeoutError as error:
        raise LLMError(f"The LLM at {public_endpoint(str(client.base_url))} did not answer within "
                       f"{settings.timeout:g} s, {settings.retries} retries included ({_scrub(str(error))}). "
                       "Try again later or raise --timeout.") from error
    except openai.APIStatusError as error:
        raise LLMError(f"The LLM at {public_endpoint(str(client.base_url))} answered HTTP {error.status_code} "
                       f"after {settings.retries} retries: {_scrub(str(error))}") from error
    except openai.APIConnectionError as error:
        raise LLMError(f"Could not reach the LLM at {public_endpoint(str(client.base_url))} "
                       f"({settings.retries} retries): {_scrub(str(error))}") from error
    latency = time.perf_counter() - start
    choice = response.choices[0]
    usage = response.usage
    details = getattr(usage, "prompt_tokens_details", None)
    return choice.message.content or "", {
        "response_model": response.model,
        "latency_seconds": round(latency, 3),
        "finish_reason": choice.finish_reason,
        "prompt_tokens": getattr(usage, "prompt_tokens", None),
        "completion_tokens": getattr(usage, "completion_tokens", None),
        "cached_tokens": getattr(details, "cached_tokens", None),
        "answer_format": used,
    }


def converse(prompt: str, expected: int, parse: Callable[[str], ParsedAnswer], settings: LLMSettings,
             client=None, choices: Sequence[int] = (), reasoning: bool = True) -> Conversation:
    """Ask for a selection; follow up while fewer than ``expected`` valid picks were given.

    ``parse`` reads the transcript so far (see activellm.prompts.answers.parse_answer with the prompt's shown numbers);
    ``choices``: the numbers a JSON answer may pick (the shown ones not labelled before), ``reasoning``: whether it
    may think first (the prompt asks it to).
    """
    if settings.answer_format not in ANSWER_FORMATS:
        raise LLMError(f"Unknown --answer-format {settings.answer_format!r}; use one of {', '.join(ANSWER_FORMATS)}.")
    client = client or make_client(settings)
    messages = [{"role": "user", "content": prompt}]
    turns = []
    transcript = ""
    wanted, picked = expected, set()
    json_answers = settings.answer_format != "text" and bool(choices)
    for turn in range(settings.follow_ups + 1):
        # a follow-up asks in the schema for the missing picks among the numbers not picked yet, without reasoning
        left = [c for c in choices if c not in picked]
        response_format = picks_format(min(wanted, len(left)), left, reasoning and not turn) if json_answers \
            else None
        reply, info = _ask(client, settings, messages, response_format)
        json_answers = json_answers and info["answer_format"] == "json"  # a refusal holds for the whole conversation
        turns.append(info)
        transcript += reply
        parsed = parse(transcript)
        picked = set(parsed.picks)
        if len(parsed.picks) >= expected or turn == settings.follow_ups:
            break
        wanted = expected - len(parsed.picks)
        follow_up = FOLLOW_UP.format(have=len(parsed.picks), expected=expected, missing=wanted)
        messages += [{"role": "assistant", "content": reply}, {"role": "user", "content": follow_up}]
        transcript += f"\n\n{USER_TURN}\n{follow_up}\n\n{ASSISTANT_TURN}\n"
    metadata = {
        "model": settings.model,
        "endpoint": public_endpoint(str(client.base_url)),
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "turns": turns,
        "follow_ups": len(turns) - 1,
        "latency_seconds": round(sum(t["latency_seconds"] for t in turns), 3),
        "prompt_tokens": sum(t["prompt_tokens"] or 0 for t in turns),
        "completion_tokens": sum(t["completion_tokens"] or 0 for t in turns),
        "cached_tokens": sum(t["cached_tokens"] or 0 for t in turns),
        "answer_format": "/".join(dict.fromkeys(t["answer_format"] for t in turns)),
        "temperature": settings.temperature,
    }
    return Conversation(transcript, parsed, metadata)
