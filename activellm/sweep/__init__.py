"""automatic_run.py's machinery: a grid expanded into cells (``grid``), the cells run and resumed (``runner``) in
long-lived local workers (``local_backend``, ``cell_worker``) or on Ray (``ray_backend``), and an LLM's lists asked
as the cells need them (``llm_lists``); what the stopping rule did is recorded beside the reports (``stopping``).

Imports: the core modules and every folder before it.
"""
