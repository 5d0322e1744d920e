/* prebuilt — the shipped patterns, compiled when ndrsift was built.
 *
 * PCRE2 compiles a pattern of the rule files in some 30,000 to 60,000
 * instructions, and a `filter` process, which judges one message,
 * compiles those it needs: a bounce that families after families try to
 * recognise compiles dozens (bench/README, "startup.sh"). The build
 * compiles every pattern of the shipped files once (src/gen-prebuilt.c)
 * and writes them, in PCRE2's serialised form, into a table linked into
 * the program (src/prebuilt-table.c, generated); pattern.c asks here
 * before it compiles, and decoding one is a copy.
 *
 * An entry is found by the regex's exact bytes and PCRE2 options, so a
 * changed rule file, rules.d or a pattern the table lacks is compiled as
 * before, and an entry never stands for another regex. PCRE2 refuses a
 * serialised form from another version or build of itself; then, too,
 * the pattern is compiled. A program linked without the table (the unit
 * tests but test-textbounce, the generator itself) finds nothing.
 *
 * Thread-safe: the table is read-only. */
#pragma once

#include <glib.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

typedef struct {
	guint32 hash;       /* prebuilt_hash() of the regex and options: the table's order */
	guint32 options;    /* PCRE2 option bits */
	guint32 regex_at;   /* the regex's bytes in the blob */
	guint32 regex_len;
	guint32 code_at;    /* pcre2_serialize_encode()'s bytes of the one code */
	guint32 code_len;
} PrebuiltEntry;

typedef struct {
	const PrebuiltEntry *entries; /* sorted by hash */
	guint32 n_entries;
	const unsigned char *blob;
} PrebuiltTable;

/* The key the table is sorted by (FNV-1a of the regex, then the options). */
guint32 prebuilt_hash (const char *regex, gsize len, guint32 options);

/* regex (len bytes) compiled with options, from the table: (transfer
 * full, pcre2_code_free) or NULL when the table has no such entry or
 * PCRE2 will not decode it. */
pcre2_code *prebuilt_code (const char *regex, gsize len, guint32 options);

/* The table the program carries: (transfer none) NULL without one. */
const PrebuiltTable *prebuilt_get (void);
