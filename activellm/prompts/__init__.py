"""Selection prompts and what comes back: the paper's prompt modes and the project's wording (``build``), wording
files (``templates``), fitting a prompt into a token budget (``token_budget``), index lists and parsing an LLM's
answer (``answers``), and the authors' published prompts (``authors_import``).

Imports: the core modules and activellm.data.
"""
