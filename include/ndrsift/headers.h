/* headers — a header block as an ordered list of name/value pairs.
 *
 * Used for the bounce's own top-level header, the quoted original's header
 * and (later) by the rules. Values are unfolded, trimmed and decoded from
 * RFC 2047 to UTF-8 (invalid bytes become U+FFFD), cut at
 * NS_MAX_HEADER_VALUE; at most NS_MAX_HEADERS fields are kept, the rest
 * counted in `dropped`. Names compare case-insensitively.
 *
 * Ownership: a HeaderBlock owns its fields and their strings; lookups
 * return (transfer none) pointers into it. */
#ifndef NDRSIFT_HEADERS_H
#define NDRSIFT_HEADERS_H

#include <glib.h>
#include <gmime/gmime.h>

/* GMime 3.2 declares no g_autoptr cleanups of its own. */
#ifndef NDRSIFT_GMIME_AUTOPTR
#define NDRSIFT_GMIME_AUTOPTR
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeObject, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InternetAddressList, g_object_unref)
#endif

typedef struct {
	const char *name;
	const char *raw;    /* the value as written (folded, encoded) */
	gsize raw_len;
	const char *value;  /* decoded, unfolded UTF-8; NULL until asked for:
	                       read it through headers_value() */
} HeaderField;

/* The strings live in one GStringChunk and the fields in one GArray: a
 * header is many small strings, and allocating each was the largest cost
 * of reading one. Values are decoded when first looked up (most fields of
 * a bounce are never asked for), so a block, though passed as const, is
 * used by one thread at a time. */
typedef struct {
	GArray *fields;         /* HeaderField, in order */
	guint dropped;          /* fields past NS_MAX_HEADERS */
	GStringChunk *strings;  /* owns every name and value */
} HeaderBlock;

/* Returns: (transfer none) field i of block (its name; for its value use
 * headers_value). */
#define headers_field(block, i) (&g_array_index ((block)->fields, HeaderField, (i)))

/* Returns: (transfer none) the decoded value of field i. */
const char *headers_value (const HeaderBlock *block, guint i);

/* Returns: (transfer full) a block copied from a GMime header list. */
HeaderBlock *headers_from_gmime (GMimeHeaderList *list);

/* Parses a header block written as text: "Name: value" lines and folded
 * continuations, up to the first blank line or the end; lines that are
 * neither are skipped. LF or CRLF line ends. Returns: (transfer full). */
HeaderBlock *headers_parse_block (const char *text, gsize len);

/* The same for a whole message: *body is set to the offset of the text
 * after the blank line that ends the header (len when there is none).
 * When no line before the first blank line is a field, the message has
 * no header (it was cut before it): an empty block, *body 0.
 * Returns: (transfer full). */
HeaderBlock *headers_parse_message (const char *text, gsize len, gsize *body);

/* The length of the field name that starts a line of n bytes (without its
 * line end): a name of printable ASCII without blanks or ':', then the
 * colon; with `blanks`, optional blanks before the colon (GMime reads
 * "Name :" too). 0 when the line is no field. The one field-name test of
 * every header reader (headers, mimesplit, textbounce, bounce). */
gsize headers_field_name_len (const char *line, gsize n, gboolean blanks);

/* Returns: (transfer none) the first value of `name`, or NULL. */
const char *headers_get (const HeaderBlock *block, const char *name);

/* Returns: (transfer none) the first value of `name` as written (folded,
 * not decoded; NUL-terminated, but may hold NUL bytes: *len is its
 * length), or NULL. */
const char *headers_get_raw (const HeaderBlock *block, const char *name, gsize *len);

/* Returns: (transfer container) every value of `name`, in order (may be
 * empty); the strings stay owned by the block. */
GPtrArray *headers_get_all (const HeaderBlock *block, const char *name);

/* Returns: (transfer full) `text` unfolded (CR, LF, TAB become spaces,
 * runs collapsed), trimmed, cut to NS_MAX_HEADER_VALUE bytes, valid UTF-8. */
char *headers_clean_value (const char *text);

/* The one reader of "the first address of a header": the first mailbox
 * of a value ("Name <a@b>, c@d" -> "a@b"), read with GMime's RFC 5322
 * parser, or directly when the value is a plain "a@b", "<a@b>" or
 * "Name <a@b>" (the answer GMime would give). Not normalised: see
 * address_normalise().
 * Returns: (transfer full) the address, or NULL when there is none. */
char *headers_first_address (const char *value);

void headers_free (HeaderBlock *block);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HeaderBlock, headers_free)

#endif
