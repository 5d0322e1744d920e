/* prefault — the pages a run is about to touch, made present in one go.
 *
 * A short process pays a page fault for each page of code it runs and
 * each page of heap it writes the first time: several microseconds each
 * on a virtual machine, and `filter` is one process a message, with a few
 * dozen of each (bench/README, "startup.sh"). Asking the kernel for them
 * all at once (madvise MADV_POPULATE_READ and _WRITE, Linux 5.14) costs a
 * fraction of that. So, before anything else runs (a constructor ahead of
 * GLib's and GObject's own, which are the program's when they are linked
 * from their archives):
 *   - the program's code is mapped: its pages are the page cache's,
 *     shared by every process of the program, and no memory is added;
 *   - malloc is told to keep NS_PREFAULT_HEAP_BYTES free at the top of its
 *     heap (M_TOP_PAD; which also keeps its mmap threshold at 128 KiB),
 *     and the heap so far, with that pad, is made present: about what a
 *     `filter` run writes there.
 * Measured on the bench's sample, each step about 0.15 ms of some 5 ms.
 *
 * No function: prefault.c is linked into the program only (not the
 * tests, not the library) and runs itself. It leaves the heap alone
 * under AddressSanitizer and wherever malloc is not glibc's own (valgrind);
 * where the kernel does not know the advice it does nothing, and nothing
 * it does can fail a run. */
#pragma once
