"""ActiveLLM: large language model-based active learning for textual few-shot scenarios.

A reproduction of Bayer, Lutz and Reuter (arXiv 2405.10808) as a research tool. The scripts at the top
of the repository parse arguments and call this package; the package never reads ``sys.argv``.

Its folders follow the data flow (docs/architecture.md), and each imports only the core modules beside this file
(errors, files, paths, models, cli) and the folders before it in this list:

    data/        tasks, their splits and the seeded pool of a run
    prompts/     prompt modes and wording, token budgets, index lists and the LLM's answers parsed
    selection/   label-free selectors, the rows a run trains on, diagnostics of a selection
    llm/         the client, a prompt written, asked and parsed into its list, token usage
    training/    fine-tuning, SetFit, small-text, one run of model_training.py and its records
    annotation/  your own pool: picks out to annotators, labels back, a classifier and predictions
    reporting/   summary over runs, paired statistics, random-equivalent labels, power, the verdict, plots
    sweep/       automatic_run.py's grid, its cells run locally or on Ray, the LLM's lists asked as cells need them
"""

__version__ = "0.1.0"
