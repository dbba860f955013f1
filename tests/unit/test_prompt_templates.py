"""Prompt templates: a copy of a built-in mode renders that mode's prompt exactly; bad templates are one clear
error; two wordings never share a folder."""

import pytest

from activellm.llm.prompt_jobs import answers_folder_name
from activellm.prompts import build
from activellm.prompts.build import PromptRequest, build_prompt
from activellm.prompts.templates import TemplateError, load_template
from tests.conftest import REPO

TEXTS = [f"sentence number {i}" for i in range(300)]
IDS = list(range(1000, 1300))
INSTRUCTIONS = build.ROLE + build.SITUATION["plain"] + build.LIMIT.format(k="{k}")


def _template(tmp_path, text, name="mine.txt"):
    path = tmp_path / name
    path.write_text(text)
    return load_template(path)


def _both(template, **request):
    """The built-in prompt and the template's, for the same request."""
    builtin = build_prompt(PromptRequest(**request), TEXTS, IDS)
    return builtin.text, build_prompt(PromptRequest(**request, template=template), TEXTS, IDS)


@pytest.mark.parametrize("file, mode", [("paper_mode10.txt", "10"), ("representative.txt", "representative")])
def test_the_shipped_templates_render_their_built_in_modes(file, mode):
    builtin, rendered = _both(load_template(REPO / "templates" / file), mode=mode, examples=32)
    assert rendered.text == builtin and len(rendered.shown) == 200


def test_guidelines_and_k_twice(tmp_path):
    guidelines = _template(tmp_path, build.ROLE + build.SITUATION["guidelines"] + build.LIMIT.format(k="{k}")
                           + "\n\nAnnotation guidelines given to the human annotator:\n'''{guidelines}'''\n\n"
                           + build.OUTPUT["reasoning"] + "{instances}")
    builtin, rendered = _both(guidelines, mode="7", examples=5, guidelines="Positive: the critic recommends it.")
    assert rendered.text == builtin
    explain = _template(tmp_path, INSTRUCTIONS + build.OUTPUT["explain"].replace("{k}", "{k}") + "{instances}",
                        "explain.txt")
    builtin, rendered = _both(explain, mode="6", examples=7)
    assert rendered.text == builtin and rendered.text.count(" 7 instances") == 2


@pytest.mark.parametrize("variant, template_tail, situation", [
    ("idxrecap", "{instances}{labelled}", "idxrecap"),
    ("recap", "{labelled}{instances}", "recap"),
])
def test_the_labelled_instances_of_a_continuous_iteration(tmp_path, variant, template_tail, situation):
    template = _template(tmp_path, build.ROLE + build.SITUATION[situation] + build.LIMIT.format(k="{k}")
                         + build.OUTPUT["reasoning"] + template_tail)
    builtin, rendered = _both(template, mode="8", continuous=variant, labeled_before=[3, 7], examples=2)
    assert rendered.text == builtin and "sentence number 7" in rendered.text
    first, rendered_first = _both(template, mode="8", continuous=variant, examples=2)  # iteration 1: nothing labelled
    assert all(block not in rendered_first.text for block in ("{labelled}", build.RECAP_NUMBERS, build.RECAP_TEXTS))


def test_shown_is_the_count_of_instances(tmp_path):
    template = _template(tmp_path, "Choose {k} of these {shown}.{instances}")
    prompt = build_prompt(PromptRequest(mode="8", examples=4, template=template), TEXTS, IDS)
    assert prompt.text.startswith("Choose 4 of these 50.") and len(prompt.shown) == 50


@pytest.mark.parametrize("text, request_fields, message", [
    ("Pick {k} of {items}.{instances}", {}, "unknown placeholder(s) {items}"),
    ("Pick {k} instances.", {}, "no {instances}"),
    ("{guidelines} {instances}", {}, "pass the guidelines with --guidelines"),
    ("Pick {k}. {instances}", {"guidelines": "be careful"}, "has no {guidelines}"),
    ("Pick {k}. {instances}", {"continuous": "idxrecap", "labeled_before": [1]}, "add {labelled}"),
    ("Classes: {classes}. {instances}", {}, "the task has no class names: write them into data/<task>/classes.txt"),
])
def test_a_bad_template_is_one_clear_error(tmp_path, text, request_fields, message):
    with pytest.raises(TemplateError) as error:
        build_prompt(PromptRequest(mode="8", examples=2, template=_template(tmp_path, text), **request_fields),
                     TEXTS, IDS)
    assert message in str(error.value) and "mine.txt" in str(error.value)


def test_the_class_names_fill_classes(tmp_path):
    template = _template(tmp_path, "Label as one of: {classes}.{instances}")
    prompt = build_prompt(PromptRequest(mode="8", examples=2, template=template,
                                        class_names=("billing", "bug", "praise")), TEXTS, IDS)
    assert prompt.text.startswith("Label as one of: billing, bug, praise.")


def test_two_wordings_never_share_a_folder(tmp_path):
    first = _template(tmp_path, "Pick {k}. {instances}", "wording.txt")
    second = _template(tmp_path, "Choose {k}, please. {instances}", "wording.txt")
    names = {answers_folder_name("gpt-4o", "10", template=t) for t in (first, second, None)}
    assert len(names) == 3 and f"gpt-4o_10_wording-{first.sha256[:8]}" in names
    assert answers_folder_name("gpt-4o", "10", "typiclust", template=first) == \
        f"gpt-4o_10_wording-{first.sha256[:8]}_typiclust200"
    assert "{1, 4, 5}" in load_template(_write(tmp_path, "List them as {1, 4, 5}. {instances}")).text


def _write(tmp_path, text):
    path = tmp_path / "braces.txt"
    path.write_text(text)
    return path
