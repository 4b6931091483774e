"""Garbage collection tuned for a program run: the SDK's objects are many and long-lived, the run's are short-lived.

A preview allocates hundreds of thousands of objects that live as long as the process (imported SDK modules and
their classes, earlier plans a multi-stack check keeps), and Python's collector, counting allocations, runs 8-9 full
collections over all of them during one SDK-heavy program run: about a second of a preview. For the run, the
collector scans only what the run itself makes: what exists before it is collected once and then frozen (never
scanned again), and the young-generation threshold is raised so full collections become rare. The collector stays
on (disabling it doubled the memory of a 16-stack check), and its thresholds are restored after the run; garbage
the run leaves is collected at the start of the next one, so a single preview never pays for it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Allocations between young collections during a run (Python's default is 2,000 on 3.11), then how many young and
#: middle collections come before an older one.
RUN_THRESHOLDS = (100_000, 50, 1_000)


@contextmanager
def tuned_gc() -> Iterator[None]:
    """Collect and freeze what exists, raise the thresholds for the block, restore them after."""
    previous = gc.get_threshold()
    gc.collect()  # the previous run's garbage (about 15 ms before the first run: import garbage)
    gc.freeze()
    gc.set_threshold(*RUN_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
