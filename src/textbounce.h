/* textbounce — bounce formats as data, and originals quoted inline in text.
 *
 * The `*.formats` files of the rules directories describe how MTA families
 * mark their bounces and where they quote the original, one directive a
 * line (`DIRECTIVE NAME arguments`, `#` comments):
 *
 *   family       NAME KIND          declares a family; KIND is ndr, autoreply,
 *                                   challenge, virus, dsn, mdn or feedback
 *   subject      NAME /re/flags     the bounce's Subject (decoded)
 *   from         NAME /re/flags     the bounce's From
 *   header       NAME FIELD /re/flags   any header field of the bounce
 *   body         NAME /re/flags     the first NS_MAX_FORMAT_BODY_BYTES of its text
 *   separator    NAME /re/flags     a line after which the original's headers follow
 *   first-header NAME /re/flags     a line that is the original's first header
 *   recipient    NAME [FIELD] /re/flags  the failed recipient: the one address
 *                                   in what the pattern matches, in the text
 *                                   or in the bounce's header FIELD
 *   priority     NAME N             families are tried by ascending N (0-999;
 *                                   NS_FORMAT_DEFAULT_PRIORITY when not given)
 *   match        NAME any|all       all: one pattern of each kind it has
 *                                   (subject, from, header, body) must match
 *   sample       NAME FILE original=ID|none recipient=ADDRESS|none
 *                                   a bounce of the family kept beside the
 *                                   formats (FILE relative to the file that
 *                                   names it), for `rules check`
 *
 * A family is recognised when any one of its subject, from, header or body
 * patterns matches (one of each kind with `match all`); families are tried
 * by priority, in reading order among equals (files in name order, a file
 * in a later directory replacing one of the same name in an earlier one),
 * and the first recognised one names the kind. Separator and
 * first-header patterns are matched against the lines of the text ("^" and
 * "$" are line starts and ends): separators before first-header lines, and
 * within each the recognised family's before any other family's, each in
 * text order. The header block that follows must look like one (field
 * lines, folded continuations, the same quote prefix such as "> " on every
 * line) with at least two fields or a Message-ID, and ends at the first
 * blank or non-header line.
 *
 * A separator names the quote. A header block found by a first-header
 * line, or by the built-in scan (textbounce_find_quote, for a text known
 * to be a failure report: any line that opens a block with Received,
 * Message-ID, From, Date, ...), is only a guess: one after a forwarding
 * client's introduction ("Begin forwarded message:", "---------- Forwarded
 * message ----------", ...) is the forwarded mail's, taken only when
 * nothing else is found and flagged `forwarded`; when two blocks quote
 * different Message-IDs, none is taken.
 *
 * The failed recipient comes only from the recognised family's recipient
 * patterns, in the first NS_MAX_FORMAT_BODY_BYTES of the text and before
 * the quoted original: none when two matches name different addresses,
 * when a match holds no single address, or when it is one of the bounce's
 * own (any address in To, Delivered-To, From, ...: our user, the bouncer).
 *
 * Limits: NS_MAX_FORMAT_PATTERNS patterns, NS_MAX_FORMAT_SAMPLES samples a
 * family, NS_MAX_RULE_LINE bytes a line,
 * NS_MAX_INLINE_HEADER_LINES lines a block; PCRE2 limits via `pattern`.
 *
 * Ownership: the loaded TextbounceFormats is immutable and shared by all
 * threads; free it with textbounce_formats_free(). Quotes are (transfer
 * full) to the caller. */
#ifndef NDRSIFT_TEXTBOUNCE_H
#define NDRSIFT_TEXTBOUNCE_H

#include <glib.h>

#include "ndrsift/headers.h"

typedef struct _TextbounceFormats TextbounceFormats;

typedef struct {
	char *headers;   /* the quoted header block, quote prefix removed, LF line ends;
	                    may hold NUL bytes: its length is headers_len */
	gsize headers_len;
	gsize start;     /* offset of its first header line in the text */
	char *prefix;    /* the quote prefix of its lines ("> ", blanks), "" for none */
	guint line;      /* 1-based line of its first header in the text */
	char *family;    /* the family whose marker led to it, NULL for the built-in scan */
	char *marker;    /* the pattern that matched, as written, NULL likewise */
	gboolean forwarded; /* inside forwarded mail: not an original by itself */
} TextbounceQuote;

typedef struct {
	char *path;      /* the sample file, resolved */
	char *original;  /* the expected original Message-ID, or NULL for none */
	char *recipient; /* the expected failed recipient, or NULL for none */
	char *where;     /* file:line of the sample directive */
} TextbounceSample;

#define TEXTBOUNCE_ERROR (textbounce_error_quark ())
GQuark textbounce_error_quark (void);

typedef enum {
	TEXTBOUNCE_ERROR_INVALID, /* a line that is not a valid format directive */
	TEXTBOUNCE_ERROR_LIMIT,   /* a bound of limits.h: patterns, samples, line length */
} TextbounceError;

/* Loads every *.formats file of dirs (NULL-terminated; missing directories
 * are skipped). Errors name file:line. Returns: (transfer full). */
TextbounceFormats *textbounce_formats_load (const char *const *dirs, GError **error);

/* Like textbounce_formats_load, but reads on past errors: every one goes
 * to errors (char*, "file:line: what"), for `rules check`.
 * Returns: (transfer full) the formats, or NULL when there was an error. */
TextbounceFormats *textbounce_formats_check (const char *const *dirs, GPtrArray *errors);

/* Parses one file's text, for tests. Returns: (transfer full). */
TextbounceFormats *textbounce_formats_parse (const char *filename, const char *text, GError **error);

guint textbounce_formats_count (const TextbounceFormats *formats);

/* Returns: the index of the first recognised family, or -1. `text` may be NULL. */
int textbounce_identify (const TextbounceFormats *formats, const HeaderBlock *headers,
                         const char *text, gsize len);

/* The same by what the message says, not who sent it: only subject and
 * body patterns count. Returns: the index of the first family so
 * recognised, or -1. */
int textbounce_identify_wording (const TextbounceFormats *formats, const HeaderBlock *headers,
                                 const char *text, gsize len);

/* Returns: (transfer none) the family's name / kind. */
const char *textbounce_family_name (const TextbounceFormats *formats, int family);
const char *textbounce_family_kind (const TextbounceFormats *formats, int family);
/* Returns: (transfer full) the file:line of the family's declaration. */
char *textbounce_family_where (const TextbounceFormats *formats, int family);
/* The family's samples into *samples (transfer none). Only
 * textbounce_formats_check() keeps them (`rules check` is all that reads
 * them): after textbounce_formats_load() or _parse() a family has none.
 * Returns: how many. */
guint textbounce_family_samples (const TextbounceFormats *formats, int family,
                                 const TextbounceSample *const **samples);
int textbounce_family_priority (const TextbounceFormats *formats, int family);

/* The failed recipient by the family's recipient patterns (see above);
 * headers: the bounce's own; len: the text before the quoted original.
 * Returns: (transfer full) the address, or NULL; *where: (transfer full)
 * where it was found, or NULL. */
char *textbounce_find_recipient (const TextbounceFormats *formats, int family, const HeaderBlock *headers,
                                 const char *text, gsize len, char **where);

/* Finds the original's header block quoted in text (LF line ends).
 * family: the recognised family, or -1. failure_known: the text is known
 * to be a failure report's (by its structure or its wording), so header
 * blocks are looked for without a pattern too (formats may then be NULL).
 * Returns: (transfer full) a quote, or NULL when none is found. */
TextbounceQuote *textbounce_find_quote (const TextbounceFormats *formats, int family,
                                        const char *text, gsize len, gboolean failure_known);

/* textbounce_find_quote without the built-in scan. */
TextbounceQuote *textbounce_find_original (const TextbounceFormats *formats, int family,
                                           const char *text, gsize len);

void textbounce_quote_free (TextbounceQuote *quote);
void textbounce_formats_free (TextbounceFormats *formats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TextbounceQuote, textbounce_quote_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TextbounceFormats, textbounce_formats_free)

#endif
