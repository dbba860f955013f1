"""Your own pool: the picks out to annotators as CSV or Label Studio files and their labels back (``labelling``), and
model_training.py's ``--export-labelling``, ``--labels`` and ``--predict`` (``rounds``): a classifier trained on the
labels, its predictions, the next round's picks.

Imports: the core modules and the folders before it: data, prompts, selection, llm, training.
"""
