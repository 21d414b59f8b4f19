"""The one exception type the pipeline raises for bad input: its message is the whole story."""


class PipelineError(Exception):
    """A problem the maintainer must fix; printed without a traceback."""
