/* lazylibs — GIO, json-glib and libidn2 loaded on their first call; see
 * src/lazylibs.c, which defines the stubs of the program. This header is
 * for a stub elsewhere: the unit tests that call more of GIO and
 * json-glib than the program does define theirs with it
 * (tests/unit/lazy-extra.c), so that no program of a build with GLib
 * linked from its archive names the shared GLib at start (configure.ac,
 * "GLib and GObject from their archives"). */
#pragma once

#include <glib.h>

typedef struct {
	const char *soname;
	gsize handle; /* the dlopen handle, once loaded */
} LazyLib;

extern LazyLib lazylibs_gio, lazylibs_jsonglib, lazylibs_idn2;

/* name in lib, loading lib first if needed: (transfer none) the function;
 * a library or function that is not there is fatal (g_error). */
gsize lazylibs_symbol (LazyLib *lib, const char *name);

/* A stub: ret name params, calling the library's name with args. */
#define LAZYLIBS_STUB(lib, ret, name, params, args) \
	ret name params \
	{ \
		static gsize fn; \
		if (g_once_init_enter (&fn)) \
			g_once_init_leave (&fn, lazylibs_symbol (&lib, #name)); \
		return ((ret (*) params) fn) args; \
	}
/* The same for a function that returns nothing. */
#define LAZYLIBS_STUB_VOID(lib, name, params, args) \
	void name params \
	{ \
		static gsize fn; \
		if (g_once_init_enter (&fn)) \
			g_once_init_leave (&fn, lazylibs_symbol (&lib, #name)); \
		((void (*) params) fn) args; \
	}
