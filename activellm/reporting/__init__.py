"""From results CSVs to a verdict: means and intervals over runs (``summary``), paired statistics and Holm
(``comparison``), random-equivalent labels and learning curves (``budgets``), power, runs needed and the stopping
rule's level (``power``), the verdict and its plot (``verdict``), the selection diagnostics' tables and plots
(``diagnostics``), the table across tasks (``across_tasks``) and what an LLM's selection costs beside its worth
(``cost``).

Imports: the core modules and the folders before it: data, prompts, selection, llm, training, annotation.
"""
