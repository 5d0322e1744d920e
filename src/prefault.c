/* prefault — see prefault.h. */
#include "config.h"

#include "prefault.h"

#include "ndrsift/limits.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define PREFAULT_OWN_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PREFAULT_OWN_MALLOC 1
#endif
#endif

/* The linker's: the program's first byte, and the end of its code. */
extern char __executable_start[], __etext[];

static void
populate (uintptr_t from, uintptr_t to, uintptr_t page, int advice)
{
	from &= ~(page - 1);
	to = (to + page - 1) & ~(page - 1);
	if (from < to)
		(void) madvise ((void *) from, to - from, advice);
}

/* Priority 101, the first there is. */
__attribute__ ((constructor (101))) static void
prefault (void)
{
	long page = sysconf (_SC_PAGESIZE);
	if (page <= 0)
		return;
#ifdef MADV_POPULATE_READ
	populate ((uintptr_t) __executable_start, (uintptr_t) __etext, (uintptr_t) page, MADV_POPULATE_READ);
#endif
#if defined(MADV_POPULATE_WRITE) && defined(__GLIBC__) && __GLIBC_PREREQ(2, 33) && !defined(PREFAULT_OWN_MALLOC)
	/* malloc grows its heap by a request plus M_TOP_PAD, and a free()
	 * that leaves more than that at the top gives back all but the pad:
	 * one request bigger than what is free now (and below the mmap
	 * threshold) leaves the pad in place. */
	mallopt (M_TOP_PAD, NS_PREFAULT_HEAP_BYTES);
	void *volatile grow = malloc (96 * 1024);
	free (grow);
	uintptr_t top = (uintptr_t) sbrk (0);
	size_t arena = mallinfo2 ().arena; /* the main heap's size */
	/* Not glibc's malloc (valgrind's), or not the heap expected: left be. */
	if (arena == 0 || arena > 4 * NS_PREFAULT_HEAP_BYTES || arena > top)
		return;
	populate (top - arena, top, (uintptr_t) page, MADV_POPULATE_WRITE);
#endif
}
