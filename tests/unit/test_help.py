"""The scripts' help says what the code does."""

import argparse

import model_training
import prompt_generation
from activellm.selection.label_free import SELECTORS


def _help(parser: argparse.ArgumentParser, option: str) -> str:
    (action,) = [a for a in parser._actions if option in a.option_strings]
    return action.help


def test_warm_start_help_names_every_label_free_selector():
    parser = model_training.build_parser()
    for option in ("--warmstart", "--warmstart-from"):
        assert all(name in _help(parser, option) for name in SELECTORS), option


def test_candidates_help_says_near_duplicates_are_dropped_and_names_the_folder():
    text = _help(prompt_generation.build_parser(), "--candidates")
    assert "near-duplicate" in text and "fewer than N" in text and "gpt-4o_10_typiclust200" in text
