"""Garbage collection tuned for a program run: the SDK's objects are many and long-lived, the run's are short-lived.

A preview allocates hundreds of thousands of objects that live as long as the process (imported SDK modules and
their classes, earlier plans a multi-stack check keeps), and Python's collector, counting allocations, runs 8-9 full
collections over all of them during one SDK-heavy program run: about a second of a preview. For the run, the
collector scans only what the run itself makes: what exists before it is collected once and then frozen (never
scanned again), and the young-generation threshold is raised so full collections become rare. The collector stays
on (disabling it doubled the memory of a 16-stack check), and its thresholds are restored after the run; garbage
the run leaves is collected at the start of the next one, so a single preview never pays for it.

A process that is thrown away after a few runs (a worker of a parallel check, replaced every few stacks) need not
collect between runs at all: that collection scans everything the previous run left, about a fifth of a warm
prod run's time. :func:`collect_between_runs` turns it off for such a process; it still collects when its resident
memory passes :data:`MEMORY_CEILING_MIB`, so skipping never costs more memory than that.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

#: Allocations between young collections during a run (Python's default is 2,000 on 3.11), then how many young and
#: middle collections come before an older one.
RUN_THRESHOLDS = (100_000, 50, 1_000)
#: Resident memory above which a run starts with a full collection even where collecting between runs is off.
MEMORY_CEILING_MIB = 320

_collect_between_runs = True


def collect_between_runs(enabled: bool) -> None:
    """Whether each run starts by collecting what the previous one left (the default); off in a process that is
    discarded after a few runs, below :data:`MEMORY_CEILING_MIB`."""
    global _collect_between_runs
    _collect_between_runs = enabled


def resident_mib() -> int | None:
    """This process's resident memory in MiB; ``None`` where ``/proc`` cannot tell (then runs always collect)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 2**20
    except (OSError, ValueError, IndexError):
        return None


@contextmanager
def tuned_gc() -> Iterator[None]:
    """Collect and freeze what exists, raise the thresholds for the block, restore them after."""
    previous = gc.get_threshold()
    resident = None if _collect_between_runs else resident_mib()
    if resident is None or resident > MEMORY_CEILING_MIB:
        gc.collect()  # the previous run's garbage (about 15 ms before the first run: import garbage)
    gc.freeze()
    gc.set_threshold(*RUN_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
