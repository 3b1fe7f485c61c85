"""One line about the machine a benchmark ran on, and what a process takes of it."""
import os
import platform
from pathlib import Path


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


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    """A process's memory from /proc (VmRSS now, VmHWM its peak), in KiB; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
