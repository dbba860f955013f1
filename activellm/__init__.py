"""ActiveLLM: large language model-based active learning for textual few-shot scenarios.

A reproduction of Bayer, Lutz and Reuter (arXiv 2405.10808) as a research tool. The scripts at the top
of the repository parse arguments and call this package; the package never reads ``sys.argv``.
"""

__version__ = "0.1.0"
