#!/usr/bin/env python3
"""What a page of new memory costs on this machine, at its first touch.

Every create keeps about 2.9 KB (its answer, which replays and reads send again, and its
records), so a create flood touches new pages all the time, and the floor, which keeps
nothing, touches none. On a virtual machine whose guest hands freed memory back to the host
(virtio-balloon free page reporting), a first touch waits for the host as well: the cost of
a page then moves with the host's state, by several times within one day. run.sh prints this
figure before and after its runs so that the create rows can be read with it.

Maps SIZE_MIB (default 256) of private anonymous memory, writes one byte per 4 KiB page, then
does it again: the first pass pays the faults, the second only the loop, so their difference
over the pages is one fault's cost. Run it pinned where the server ran (run.sh: CPU 0).

With SEGMENTS=N it maps N times SIZE_MIB instead and prints each SIZE_MIB's first touch in
turn (the loop's own cost, ~0.05 us a page, included): how the cost moves as a process grows,
whatever the process (growth.sh shows the same for the mock).
"""
import mmap
import os
import sys
import time

PAGE = 4096
size = int(os.environ.get("SIZE_MIB", "256")) << 20
segments = int(os.environ.get("SEGMENTS", "0"))


def touch(memory, start, end, value):
    """Writes `value` into each page from `start` to `end`; the seconds it took."""
    began = time.perf_counter()
    for offset in range(start, end, PAGE):
        memory[offset] = value
    return time.perf_counter() - began


if segments:
    grown = mmap.mmap(-1, size * segments, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    for segment in range(segments):
        took = touch(grown, segment * size, (segment + 1) * size, 1)
        print(f"page_cost segment_mib={(segment + 1) * (size >> 20)} "
              f"first_touch_us={took / (size // PAGE) * 1e6:.2f}")
    sys.exit(0)

memory = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
first = touch(memory, 0, size, 1)
again = touch(memory, 0, size, 2)
pages = size // PAGE
print(f"page_cost first_touch_us={(first - again) / pages * 1e6:.2f} "
      f"loop_us={again / pages * 1e6:.2f} pages={pages}")
sys.stdout.flush()
