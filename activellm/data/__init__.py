"""Tasks and their data: the task table and task names (``tasks``), reading and caching each task's splits
(``loading``), and the seeded pool of a run (``pools``).

Imports: the core modules only (activellm.errors, files, paths).
"""
