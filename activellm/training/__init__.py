"""One run and its records: fine-tuning and scoring (``fine_tuning``), ``metrics``, the SetFit baseline
(``setfit_baseline``), small-text's classifiers and strategies (``active_learning``), one run of model_training.py
(``experiment``), its results CSV (``results``), the environment record beside it (``environment``) and the
script's start-up (``startup``).

Imports: the core modules, activellm.data, activellm.prompts, activellm.selection and activellm.llm (a run reads
lists; it never asks an LLM, so it uses none of llm's modules today).
"""
