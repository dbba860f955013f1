"""Asking an LLM: the OpenAI-compatible client with retries and follow-ups (``client``), a run's prompt written,
asked and parsed into its list (``prompt_jobs``: prompt_generation.py's work, over the first rows or a selector's
candidates), the tokens the answers cost (``usage``), and a GGUF model served here with llama.cpp's server
(``embedded``).

Imports: the core modules, activellm.data, activellm.prompts and activellm.selection.
"""
