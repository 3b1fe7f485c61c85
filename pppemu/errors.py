"""The one error every layer raises for a problem in what it was asked to do (an interface
that is down, an empty pool, an unreadable secrets file or capture): the command line
turns it into one line and exit code 2, the Python API lets it through."""


class ConfigError(Exception):
    """Bad configuration or input: the message is one line, fit for the user."""
