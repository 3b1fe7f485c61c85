"""What a user runs: the command line, the Python API, the console, the JSON report."""
