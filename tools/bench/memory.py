"""Peak resident memory of this process since a reset (Linux: /proc/self/clear_refs + VmHWM), so that a benchmark
measures one step's peak, not the interpreter's start-up."""

from __future__ import annotations


def reset_peak() -> None:
    """Reset the kernel's high-water mark of resident memory to the current RSS."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def rss_mib() -> float:
    return _status_kib("VmRSS") / 1024


def peak_mib() -> float:
    """Highest resident memory since the last `reset_peak()`."""
    return _status_kib("VmHWM") / 1024
