"""Peak resident memory of this process, for the bench's memory figures (no Qt, no ketalog)."""

from __future__ import annotations


def peak_rss_kb() -> int:
    """This process's own peak resident memory in KiB.

    Linux keeps ``ru_maxrss`` across ``execve``, so a child of a large process
    would report its parent's peak; ``VmHWM`` belongs to this process image.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
