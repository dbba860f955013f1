"""The one base of the errors that the input causes.

Their messages name the bad input and the fix, so the scripts print them without a traceback and exit 2. Any
other exception (a bug, a torch error) keeps its traceback: it is never mistaken for a user's mistake.
"""


class UserError(Exception):
    """A problem with the input (a task, a list, an option, a file, an endpoint); the message says how to fix it."""
