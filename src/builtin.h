/* builtin — the shipped rule files (rules/ *.formats and *.rules), compiled
 * into the binary.
 *
 * src/gen-builtin.sh writes the table at build time from exactly the files
 * Makefile.am installs into $(pkgdatadir)/rules (dist_rules_DATA), so the
 * built-in copy and the installed one come from the same bytes. `rulefiles`
 * puts the built-in files in place of the shipped directory when that is
 * missing (rulefiles_dirs), and `rules list` says where a shipped file
 * differs from its built-in copy.
 *
 * Ownership: static data, never freed. */
#ifndef NDRSIFT_BUILTIN_H
#define NDRSIFT_BUILTIN_H

#include <glib.h>

typedef struct {
	const char *name;   /* the file name, "50-mta.formats" */
	const char *text;   /* its bytes, NUL-terminated */
	gsize len;          /* without the NUL */
} BuiltinFile;

/* In name order (byte order), ended by an entry whose name is NULL. */
extern const BuiltinFile builtin_files[];

#endif
