/* mimesplit — the MIME structure of the common bounce, read without
 * building GMime's tree.
 *
 * Most bounces are a single text/plain part, or a multipart/report or
 * multipart/mixed of a few parts with plain headers. GMime parses such a message into some forty
 * GObjects, and each one is made and dropped under GObject's global locks
 * and the type's shared reference count: in scan's threads that, not the
 * parse, was the largest cost. mimesplit reads these shapes as GMime
 * 3.2's parser reads them (boundary lines, part headers, default types,
 * where content starts and ends) and refuses everything else: a
 * Content-Type with a comment, an RFC 2231 or encoded-word parameter or a
 * backslash, a header line that is not a plain field, a multipart without
 * parts, uuencoded content, a boundary of an outer multipart before the
 * first part of an inner one.
 * The caller then parses the message with GMime, so a refusal costs speed,
 * never a fact. test-mimesplit and fuzz-bounce check that both ways give
 * the same facts.
 *
 * Limits: at most NS_MAX_MIME_PARTS parts and NS_MAX_MIME_DEPTH levels
 * (past either it refuses, so that the walk over GMime's tree notes the
 * bound), boundaries of at most NS_MAX_SPLIT_BOUNDARY bytes; one pass over
 * the lines, no recursion.
 *
 * Ownership: a MimeSplit owns its parts and their strings; it points into
 * the message by offset only, so the caller keeps the bytes. */
#ifndef NDRSIFT_MIMESPLIT_H
#define NDRSIFT_MIMESPLIT_H

#include <glib.h>
#include <gmime/gmime.h>

typedef struct {
	guint depth;                  /* 0 for the top */
	const char *path;             /* "1", "2.1", ...; NULL for the top */
	gboolean multipart;
	const char *type, *subtype;   /* as written */
	const char *report_type;      /* multipart: the report-type parameter, or NULL */
	const char *filename;         /* leaf: the Content-Disposition filename,
	                                 else the Content-Type name, or NULL */
	GMimeContentEncoding encoding;/* leaf: plain, base64 or quoted-printable */
	gsize start, len;             /* leaf: the content, as offsets into the message */
	gboolean header_is_original;  /* leaf: its own header has a Received or
	                                 Message-ID field (a broken bouncer's
	                                 quote of the original) */
	gsize header_start, header_len; /* leaf: that header */
} MimeSplitPart;

typedef struct {
	GArray *parts;                /* MimeSplitPart, in document order */
	GStringChunk *strings;        /* owns every string of the parts */
} MimeSplit;

/* data, len: a prepared message (LF line ends, as bounce.c makes it);
 * body: where its body starts (headers_parse_message). Returns: (transfer
 * full) the parts, the top one first (a single part when the message is
 * not a multipart), or NULL when it is not read here exactly as GMime
 * would read it. */
MimeSplit *mimesplit_parse (const char *data, gsize len, gsize body);

void mimesplit_free (MimeSplit *split);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MimeSplit, mimesplit_free)

#endif
