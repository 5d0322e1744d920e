/* pattern — "/regex/flags" compiled once with PCRE2 (JIT once it has run
 * a few times), matched with limits.
 *
 * Every regular expression ndrsift runs on message data goes through here,
 * so every match is bounded by NS_PCRE2_MATCH_LIMIT, NS_PCRE2_DEPTH_LIMIT
 * and NS_PCRE2_HEAP_LIMIT_KB: a pattern that hits a limit simply does not
 * match (the limit is counted, never fatal). Patterns work on bytes, not
 * UTF-8: mail is not guaranteed to be valid UTF-8.
 *
 * Flags: i (caseless), m (multiline), s (dot matches newline), x (extended).
 *
 * A compiled Pattern is immutable and safe to use from several threads at
 * once; match data is per thread.
 *
 * Ownership: pattern_compile() returns (transfer full) a Pattern; free it
 * with pattern_free() or g_autoptr. */
#ifndef NDRSIFT_PATTERN_H
#define NDRSIFT_PATTERN_H

#include <glib.h>

/* PCRE2 option bits for pattern_compile_raw (values of pcre2.h). */
#define PATTERN_MULTILINE 0x00000400u

typedef struct _Pattern Pattern;

#define PATTERN_ERROR (pattern_error_quark ())
GQuark pattern_error_quark (void);

typedef enum {
	PATTERN_ERROR_SYNTAX,   /* not /regex/flags, or an unknown flag */
	PATTERN_ERROR_REGEX,    /* the regex does not compile */
} PatternError;

/* spec: "/re/flags". Returns: (transfer full) or NULL with error set. */
Pattern *pattern_compile (const char *spec, GError **error);

/* Compiles a bare regular expression with PCRE2 option bits. */
Pattern *pattern_compile_raw (const char *regex, guint32 pcre2_options, GError **error);

/* As pattern_compile, with more PCRE2 option bits (PATTERN_MULTILINE for
 * patterns matched against the lines of a text). */
Pattern *pattern_compile_full (const char *spec, guint32 extra_options, GError **error);

/* As pattern_compile_full for text known to compile (the built-in rules,
 * compiled by `make check` and `rules check`): the /re/flags form is
 * checked now, the regex compiled on first use; should it not compile
 * then, it says so once (g_warning) and never matches. A text that lacks
 * a run of bytes every match must hold (read off the regex where that is
 * plainly right, see pattern.c) is no match without compiling. spec: (transfer
 * none) not copied: it must outlive the Pattern (a rule file's text,
 * which its loader keeps). */
Pattern *pattern_new_lazy (const char *spec, guint32 extra_options, GError **error);

/* Finds the first match at or after `from`. On a match, *start and *end
 * (either may be NULL) receive the match's byte offsets.
 * Returns: TRUE on a match; FALSE on no match or on a limit. */
gboolean pattern_search (const Pattern *p, const char *subject, gsize len, gsize from,
                         gsize *start, gsize *end);

/* TRUE when the pattern matches anywhere in subject (NULL never matches). */
gboolean pattern_matches (const Pattern *p, const char *subject, gsize len);

/* Matches that stopped at a limit since start-up, in the calling thread. */
guint pattern_limit_hits_this_thread (void);

/* Returns: (transfer none) the text p was made from: "/re/flags", or
 * pattern_compile_raw's regex. */
const char *pattern_spec (const Pattern *p);

/* For src/gen-prebuilt.c, which writes the shipped patterns compiled
 * (src/prebuilt.h): from now on, each regex PCRE2 compiles is passed to
 * record (regex: len bytes, not NUL-terminated; code: (transfer none), a
 * pcre2_code *), in the compiling thread. NULL stops it. */
typedef void (*PatternCompiled) (const char *regex, gsize len, guint32 options, const void *code, gpointer data);
void pattern_record_compiles (PatternCompiled record, gpointer data);

/* For tests: the run of bytes the prefilter of a lazy pattern made of
 * spec looks for before compiling it (lowercase when caseless), every
 * match must hold it. Returns: (transfer full) or NULL for none. */
char *pattern_required_literal (const char *spec, guint32 extra_options);

/* For tests: turns that prefilter off (FALSE) or on (TRUE, the default),
 * to compare what patterns match with and without it. */
void pattern_set_prefilter (gboolean on);

void pattern_free (Pattern *p);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Pattern, pattern_free)

#endif
