"""One line about the machine a benchmark ran on."""
import os
import platform


def describe() -> str:
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"machine: {model}, {os.cpu_count()} cores, Linux {platform.release()}, "
            f"Python {platform.python_version()}")
