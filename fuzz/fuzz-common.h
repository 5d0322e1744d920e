/* fuzz-common.h — what the harnesses share: where the source tree is, a
 * fixed "now", the sample config, and the input as a C string.
 *
 * Header-only on purpose: each fuzz-*.c is one translation unit linked
 * alone against the core (fuzz/Makefile), or against fuzz/replay.c when
 * `make check` replays the committed crash inputs with gcc. */
#ifndef NDRSIFT_FUZZ_COMMON_H
#define NDRSIFT_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ndrsift/config.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* 2026-11-28T12:00:00Z: the samples are dated November 2026, so classic
 * syslog stamps (no year) land in 2026 and the logs' spans are real. */
#define FUZZ_NOW G_GINT64_CONSTANT (1795867200)

/* The source tree: $NDRSIFT_FUZZ_SRCDIR (a moved tree), else the one the
 * harness was built from. Returns: (transfer full) SRCDIR/relative. */
static inline char *
fuzz_source_path (const char *relative)
{
	const char *top = g_getenv ("NDRSIFT_FUZZ_SRCDIR");
#ifdef FUZZ_SRCDIR
	if (top == NULL)
		top = FUZZ_SRCDIR;
#endif
	if (top == NULL)
		top = ".";
	return g_build_filename (top, relative, NULL);
}

/* samples/ndrsift.conf (domains, relays, networks: the evidence paths need
 * them) with the shipped rules/ and the given sent log. A harness that
 * cannot set up must stop at once, not fuzz a half-built context.
 * Returns: (transfer full). */
static inline Config *
fuzz_sample_config (const char *db)
{
	g_autofree char *conf = fuzz_source_path ("samples/ndrsift.conf");
	g_autofree char *rules = fuzz_source_path ("rules");
	g_autoptr (GError) error = NULL;
	Config *config = config_load (conf, db, rules, &error);
	if (config == NULL) {
		fprintf (stderr, "fuzz: %s\n", error->message);
		abort ();
	}
	return config;
}

/* The input as a NUL-terminated string, as the readers hand file text on
 * (an embedded NUL ends it there for the C parsers, as it does in real
 * use). Returns: (transfer full). */
static inline char *
fuzz_string (const uint8_t *data, size_t size)
{
	char *s = g_malloc (size + 1);
	memcpy (s, data, size);
	s[size] = '\0';
	return s;
}

#endif
