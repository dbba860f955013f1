"""One run and its records: fine-tuning and scoring (``fine_tuning``), ``metrics``, the SetFit baseline
(``setfit_baseline``), small-text's classifiers and strategies (``active_learning``), one run of model_training.py
(``experiment``), its results CSV (``results``), the environment record beside it (``environment``) and the
script's start-up (``startup``).

Imports: the core modules and the folders before it: data, prompts, selection, llm (a run reads the lists an LLM
made; it never asks one).
"""
