"""A prompt's wording from a file: ``prompt_generation.py --prompt-template FILE`` and the sweep's templates axis.

A template is plain text with placeholders that the tool fills in, exactly as a built-in mode fills its own wording:

=================  ===================================================================================================
placeholder        what it becomes
=================  ===================================================================================================
``{k}``            how many instances the LLM may choose
``{instances}``    the instances: a line saying how they are separated, then ``N. text [ID: index]`` for each shown
                   one (the sidecar maps every N to its pool row, as for a built-in mode); required
``{shown}``        how many instances are shown
``{guidelines}``   the text of ``--guidelines FILE`` (required with it, refused without it)
``{labelled}``     continuous selection: what is labelled already, as the built-in modes say it (``idxrecap``: a
                   sentence and the numbers, after the instances; ``recap``: a sentence and the labelled texts, before
                   them); empty in a single selection and in iteration 1; required from iteration 2 of ``idxrecap``
                   and ``recap``
``{classes}``      the task's class names, comma-separated (a local task's ``classes.txt``; refused for a task
                   without class names)
=================  ===================================================================================================

Any other ``{name}`` is an error; other braces (``{1, 4, 5}``) are text. The template's name in folders and CSVs is
its file name and the first 8 hex digits of its content's sha256 (``representative-1a2b3c4d``), so two wordings
never share an answers folder, a list or a summary row. ``templates/`` holds copies of built-in modes to start from.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from activellm import paths
from activellm.errors import UserError

PLACEHOLDERS = ("k", "instances", "shown", "guidelines", "labelled", "classes")
BUILTIN = "builtin"  # the sweep's name for a mode's own wording (no template)
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class TemplateError(UserError, ValueError):
    """A prompt template that cannot be used; the message names the file and what to change."""


@dataclass(frozen=True)
class PromptTemplate:
    """A template's text, where it came from and the name it gives folders and CSV rows."""

    text: str
    file: str  # as recorded (relative to the project root where it lies under it)
    sha256: str

    @property
    def name(self) -> str:
        return f"{paths.safe_name(Path(self.file).stem)}-{self.sha256[:8]}"

    @property
    def placeholders(self) -> set[str]:
        return set(_PLACEHOLDER.findall(self.text))

    def record(self) -> dict[str, str]:
        """What a sidecar and an answer's metadata say of the template."""
        return {"prompt_template": self.name, "prompt_template_file": self.file, "prompt_template_sha256": self.sha256}


def load_template(path: str | Path) -> PromptTemplate:
    """Read and check a template: it must exist, name only known placeholders, and show the instances."""
    path = Path(path)
    if not path.is_file():
        raise TemplateError(f"Prompt template {path}: no such file; give a text file with the prompt's wording "
                            "(templates/ has examples to copy).")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise TemplateError(f"Prompt template {path} is not UTF-8 text (byte {error.start}: {error.reason}); save it "
                            "as UTF-8 (most editors offer it under 'Save as' or 'Encoding').") from None
    template = PromptTemplate(text, paths.recorded_path(path), hashlib.sha256(text.encode("utf-8")).hexdigest())
    unknown = sorted(template.placeholders - set(PLACEHOLDERS))
    if unknown:
        raise TemplateError(f"{path}: unknown placeholder(s) {', '.join('{' + u + '}' for u in unknown)}; a template "
                            f"may use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}.")
    if "instances" not in template.placeholders:
        raise TemplateError(f"{path}: no {{instances}}: the template must say where the numbered instances go.")
    return template


def check_fields(template: PromptTemplate, guidelines: bool, labelled: bool, where: str,
                 classes: bool = True) -> None:
    """Refuse a template that would drop what the request holds (guidelines, the labelled instances of a later
    iteration) or ask for what it lacks (guidelines, class names); ``where`` names the request for the message."""
    used = template.placeholders
    if "classes" in used and not classes:
        raise TemplateError(f"{template.file} uses {{classes}}, but the task has no class names: write them into "
                            "data/<task>/classes.txt, one a line, or leave {classes} out.")
    if guidelines and "guidelines" not in used:
        raise TemplateError(f"{template.file}: --guidelines was given, but the template has no {{guidelines}}; add "
                            "it, or leave out --guidelines.")
    if "guidelines" in used and not guidelines:
        raise TemplateError(f"{template.file} uses {{guidelines}}: pass the guidelines with --guidelines FILE.")
    if labelled and "labelled" not in used:
        raise TemplateError(f"{template.file}: {where} follows labelled instances, which the template does not show; "
                            "add {labelled} (see docs/prompts-and-answers.md).")


def render(template: PromptTemplate, fields: dict[str, str]) -> str:
    """The template with its placeholders filled in from ``fields``."""
    return _PLACEHOLDER.sub(lambda match: fields[match.group(1)], template.text)
