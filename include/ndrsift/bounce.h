/* bounce — the facts of one message: what kind of bounce it is, the
 * delivery-status report, and the headers of the original it quotes.
 *
 * bounce_parse() takes the message's bytes (LF, CRLF or CR-only; a leading
 * mbox "From " line is skipped) and returns a Bounce. It never fails on
 * content: hostile or broken input gives fewer facts and a note saying
 * which bound was hit (limits.h), never a crash or a hang.
 *
 * Where the original is looked for (doc/design.md): message/rfc822 and
 * message/global parts (also when transfer-encoded), text/rfc822-headers
 * and message/global-headers (and the spellings seen instead:
 * message/rfc822-headers, text/rfc822, ...), an attached .eml, at any multipart depth up
 * to NS_MAX_MIME_DEPTH; the shallowest such part wins, the first one in
 * document order among equals; parts inside it are the original's own and
 * are not searched. Only when no part holds one is the bounce's text
 * searched for an inline quote (textbounce, driven by *.formats).
 *
 * The original is the message that failed: a quoted failure report that
 * was only passed on (forwarded, wrapped, re-sent as text) is parsed in
 * turn, up to NS_MAX_NESTED_REPORTS levels, and the original is the one it
 * quotes, or none; in a bounce of a bounce (the bounce's report names a
 * recipient of the quoted report as failed) the quoted report is. The
 * bounce's own header block, read back as text, is never the original.
 *
 * Ownership: a Bounce owns everything it points to; free it with
 * bounce_free() or g_autoptr. Every string is valid UTF-8 without control
 * characters, except `text` (the decoded bytes as sent). */
#ifndef NDRSIFT_BOUNCE_H
#define NDRSIFT_BOUNCE_H

#include <glib.h>

#include "ndrsift/headers.h"
#include "ndrsift/received.h"
#include "ndrsift/report.h"

/* The loaded *.formats (src/textbounce.h, private): opaque here. */
typedef struct _TextbounceFormats TextbounceFormats;

typedef enum {
	BOUNCE_KIND_NONE,
	BOUNCE_KIND_DSN,
	BOUNCE_KIND_NDR,
	BOUNCE_KIND_AUTOREPLY,
	BOUNCE_KIND_CHALLENGE,
	BOUNCE_KIND_VIRUS,
	BOUNCE_KIND_MDN,
	BOUNCE_KIND_FEEDBACK,
} BounceKind;

/* How many kinds there are (BOUNCE_KIND_FEEDBACK is the last): the size
 * of a table indexed by BounceKind. */
#define BOUNCE_N_KINDS (BOUNCE_KIND_FEEDBACK + 1)

typedef struct {
	HeaderBlock *headers;          /* every header of the quoted original */
	/* (transfer none) views into headers, NULL when absent: */
	const char *message_id, *from, *to, *date, *subject, *return_path;
	GPtrArray *authentication_results; /* char*, owned */
	GPtrArray *received_spf;           /* char*, owned */
	GPtrArray *dkim_domains;           /* char*, owned, lower-cased d= values */
	GPtrArray *received;               /* ReceivedHop*, top first */
	guint received_dropped;            /* Received lines past NS_MAX_RECEIVED_HOPS */
	gboolean inline_quote;             /* found in text rather than a MIME part */
	char *where;                       /* where it was found */
} BounceOriginal;

typedef struct {
	BounceKind kind;
	char *kind_why;          /* what made it this kind */
	char *family;            /* the *.formats family that recognised it, or NULL;
	                            for a report (dsn, mdn, feedback) looked up only
	                            when its text is searched for an inline quote */
	HeaderBlock *headers;    /* the bounce's own top-level header */
	Report *report;          /* delivery-status fields, or NULL */
	char *report_where;
	BounceOriginal *original;/* NULL when nothing is quoted */
	char *failed_recipient;  /* a bounce without a report: the recipient its
	                            family's recipient patterns name, or NULL */
	char *failed_recipient_where;
	char *arrival_date;      /* the bounce's topmost Received date, else its Date */
	gint64 arrival_time;     /* as Unix seconds, 0 when unknown */
	char *arrival_where;
	ReceivedHop *top_hop;    /* the bounce's own topmost Received line, parsed, or NULL */
	char *reporting_mta;     /* who sent the bounce, lower-cased: the report's
	                            Reporting-MTA, else the sending host of top_hop
	                            (rDNS, HELO, IP); NULL for kind none or unknown */
	GString *text;           /* decoded text/plain parts of the bounce (not of the
	                            original), LF line ends, at most NS_MAX_TEXT_BYTES */
	GPtrArray *notes;        /* char*: bounds that were hit, parse problems */
} Bounce;

/* Returns: (transfer none) "dsn", "ndr", ..., "none". */
const char *bounce_kind_name (BounceKind kind);

/* The bounce's own envelope recipient as its header records it (our
 * user it was delivered to): the first non-empty X-Original-To,
 * Delivered-To, Envelope-To or To, as written. The one definition: the
 * verdict judges it (Verdict.recipient, unless the envelope says better)
 * and scan's summary names it.
 * Returns: (transfer none) a value of b's header, or NULL. */
const char *bounce_envelope_recipient (const Bounce *b);

/* Starts GMime for the parser (g_mime_init) and makes message/rfc822,
 * rfc2822, global and news leaf parts. Once per process, any thread;
 * engine_new() and every bounce_parse*() call it, so a front end need
 * not. Whatever else reads mail with GMime (`log record`, the tests)
 * calls it first instead of g_mime_init(), so that GMime reads a message
 * the same way everywhere (see bounce.c on LeakSanitizer). The program
 * never shuts GMime down: its tables live until the process ends. */
void bounce_init (void);

/* formats: (nullable) the loaded *.formats; without them only structured
 * bounces (multipart/report) are recognised.
 * Returns: (transfer full) the facts; never NULL. */
Bounce *bounce_parse (const TextbounceFormats *formats, const char *data, gsize len);

/* The same for a message held in GBytes. message: (transfer full); when
 * this is the only reference, the bytes are reused in place, not copied.
 * truncated: the reader already cut the message (noted in the facts). */
Bounce *bounce_parse_bytes (const TextbounceFormats *formats, GBytes *message, gboolean truncated);

/* The same parse with every MIME structure left to GMime's tree walk
 * (bounce_parse reads the common shapes itself, through mimesplit). Tests and fuzz-bounce hold the two to the same
 * facts. Returns: (transfer full). */
Bounce *bounce_parse_reference (const TextbounceFormats *formats, const char *data, gsize len);

/* Returns: (transfer full) what first differs between two parses' facts
 * (kind, text, report, original and its header, notes), or NULL when
 * nothing does. */
char *bounce_diff (const Bounce *a, const Bounce *b);

void bounce_free (Bounce *bounce);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Bounce, bounce_free)

#endif
