"""Which rows a run trains on: the label-free cold-start selectors and their sentence encoder (``label_free``), the
rows of every mode (``rows``: the first rows, random rows, a selector's, an LLM's or small-text's list), and
diagnostics of a selection (``diagnostics``: class balance, coverage, the LLM's position bias).

Imports: the core modules, activellm.data and activellm.prompts.
"""
