/* bounce — GMime walk, kind, report fields, original extraction.
 * See include/ndrsift/bounce.h.
 *
 * The input is first copied once into a buffer with LF line ends (GMime
 * and everything after it then see one convention), a leading mbox
 * "From " line dropped, cut at NS_MAX_MESSAGE_BYTES and before the line
 * past NS_MAX_CONTENT_TYPES Content-Type lines (every MIME level needs
 * one, so that cut also bounds GMime's recursive parser),
 * NS_MAX_BOUNDARY_LINES "--" lines or NS_MAX_FIELD_LINES header fields
 * (GMime builds every part and field it reads): see prepare().
 * The bounce's own header is read by `headers`. Its MIME structure is
 * read by mimesplit when it has a common shape (a single part, or
 * multiparts of plain parts: most bounces), and otherwise parsed by GMime,
 * given only the Content-* fields (mime_header_only). Either way the same
 * visits (visit_multipart, visit_leaf) see the parts in document order;
 * bounce_parse_reference takes GMime's way always, and bounce_diff is how
 * tests and fuzz-bounce hold the two to the same facts. The walk over
 * GMime's tree uses an explicit stack, never recursion. */
#include <gmime/gmime.h>
#include <string.h>

#include "ndrsift/bounce.h"
#include "ndrsift/limits.h"
#include "mimesplit.h"
#include "msgid.h"
#include "pattern.h"
#include "ndrsift/received.h"
#include "textbounce.h"

/* Sanitizer builds: see register_leaf_types. */
#if defined(__SANITIZE_ADDRESS__)
#define NS_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NS_LSAN 1
#endif
#endif
#ifdef NS_LSAN
#include <sanitizer/lsan_interface.h>
#endif


static const char *const kind_names[] = {
	[BOUNCE_KIND_NONE] = "none",
	[BOUNCE_KIND_DSN] = "dsn",
	[BOUNCE_KIND_NDR] = "ndr",
	[BOUNCE_KIND_AUTOREPLY] = "autoreply",
	[BOUNCE_KIND_CHALLENGE] = "challenge",
	[BOUNCE_KIND_VIRUS] = "virus",
	[BOUNCE_KIND_MDN] = "mdn",
	[BOUNCE_KIND_FEEDBACK] = "feedback",
};

const char *
bounce_kind_name (BounceKind kind)
{
	return kind < G_N_ELEMENTS (kind_names) ? kind_names[kind] : "none";
}

const char *
bounce_envelope_recipient (const Bounce *b)
{
	static const char *const fields[] = { "X-Original-To", "Delivered-To", "Envelope-To", "To" };
	for (guint i = 0; i < G_N_ELEMENTS (fields) && b->headers; i++) {
		const char *v = headers_get (b->headers, fields[i]);
		if (v && *v)
			return v;
	}
	return NULL;
}

static BounceKind
kind_from_name (const char *name)
{
	for (guint i = 0; i < G_N_ELEMENTS (kind_names); i++)
		if (g_strcmp0 (kind_names[i], name) == 0)
			return (BounceKind) i;
	return BOUNCE_KIND_NONE;
}

static void
original_free (BounceOriginal *o)
{
	if (o == NULL)
		return;
	headers_free (o->headers);
	g_ptr_array_unref (o->authentication_results);
	g_ptr_array_unref (o->received_spf);
	g_ptr_array_unref (o->dkim_domains);
	g_ptr_array_unref (o->received);
	g_free (o->where);
	g_free (o);
}

void
bounce_free (Bounce *b)
{
	if (b == NULL)
		return;
	g_free (b->kind_why);
	g_free (b->family);
	g_free (b->failed_recipient);
	g_free (b->failed_recipient_where);
	headers_free (b->headers);
	report_free (b->report);
	g_free (b->report_where);
	original_free (b->original);
	g_free (b->arrival_date);
	g_free (b->arrival_where);
	received_hop_free (b->top_hop);
	g_free (b->reporting_mta);
	g_string_free (b->text, TRUE);
	g_ptr_array_unref (b->notes);
	g_free (b);
}

static void
note (Bounce *b, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
note (Bounce *b, const char *fmt, ...)
{
	va_list ap;
	va_start (ap, fmt);
	g_ptr_array_add (b->notes, g_strdup_vprintf (fmt, ap));
	va_end (ap);
}

/* Turns CRLF and lone CR into LF in place (decoded content may use any),
 * moving the runs between CRs with memmove. */
static void
to_lf (GByteArray *a)
{
	guint8 *r = a->data, *w = a->data, *end = a->data + a->len;
	while (r < end) {
		guint8 *cr = memchr (r, '\r', end - r);
		gsize run = (cr ? cr : end) - r;
		memmove (w, r, run);
		w += run;
		if (cr == NULL)
			break;
		r = cr + 1;
		if (r < end && *r == '\n')
			continue; /* CRLF: the LF that follows is copied with the next run */
		*w++ = '\n';
	}
	a->len = w - a->data;
}

/* "Content-Type", optional blanks, ":" — GMime reads the name with
 * blanks before the colon as well, so the count must too. */
static gboolean
is_content_type_line (const guint8 *p, const guint8 *end)
{
	if (end - p < 13 || g_ascii_strncasecmp ((const char *) p, "content-type", 12) != 0)
		return FALSE;
	p += 12;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p < end && *p == ':';
}

/* Blank or white-space-only lines before the first header field (a
 * broken relay's, or a copy saved by hand) would end the header before it
 * starts, and the bounce's own header would be read as its text, where it
 * looks like a quoted original. Robust readers skip them when a field
 * follows (Thunderbird, mutt), and so does this; a message whose first
 * line after them is no field keeps them (it has no header). */
static void
drop_leading_blank_lines (Bounce *b, GByteArray *a)
{
	gsize p = 0, blank_lines = 0;
	for (;;) {
		gsize q = p;
		while (q < a->len && (a->data[q] == ' ' || a->data[q] == '\t'))
			q++;
		if (q >= a->len || a->data[q] != '\n')
			break;
		p = q + 1;
		blank_lines++;
	}
	if (blank_lines == 0 || p >= a->len)
		return;
	const guint8 *eol = memchr (a->data + p, '\n', a->len - p);
	gsize n = (eol ? (gsize) (eol - a->data) : a->len) - p;
	if (headers_field_name_len ((const char *) a->data + p, n, TRUE) == 0)
		return;
	note (b, "%" G_GSIZE_FORMAT " blank line%s before the header skipped", blank_lines, blank_lines > 1 ? "s" : "");
	g_byte_array_remove_range (a, 0, p);
}

/* Turns the message into the array GMime parses, in place when the bytes
 * are not shared: a leading mbox "From " line dropped, LF line ends, cut at
 * NS_MAX_MESSAGE_BYTES and before the line past any of these bounds:
 * NS_MAX_CONTENT_TYPES Content-Type lines (each MIME level needs one, so
 * this bounds GMime's recursion), NS_MAX_BOUNDARY_LINES lines starting
 * "--" (each part needs one) and NS_MAX_FIELD_LINES field lines in
 * headers (the message's, or any after a "--" line: each field GMime
 * reads is an object; a report's fields or a quoted original are
 * content). GMime builds every part and field it reads, whatever the walk
 * visits: without the last two, a 14 MB message of two million empty
 * parts took 20 s and 2.8 GB.
 * Returns: (transfer full). */
static GByteArray *
prepare (Bounce *b, GBytes *message)
{
	GByteArray *a = g_bytes_unref_to_array (message);

	if (a->len > NS_MAX_MESSAGE_BYTES) {
		note (b, "message cut at %u bytes (of %u)", NS_MAX_MESSAGE_BYTES, a->len);
		g_byte_array_set_size (a, NS_MAX_MESSAGE_BYTES);
	}
	if (a->len >= 5 && memcmp (a->data, "From ", 5) == 0) {
		guint n = 0;
		while (n < a->len && a->data[n] != '\n' && a->data[n] != '\r')
			n++;
		n += n < a->len && a->data[n] == '\r';
		n += n < a->len && a->data[n] == '\n';
		g_byte_array_remove_range (a, 0, n);
	}
	if (a->len && memchr (a->data, '\r', a->len))
		to_lf (a);
	drop_leading_blank_lines (b, a);

	/* An empty message has no array at all (data NULL), and NULL + 0 is
	 * undefined behaviour: nothing to count in it anyway. */
	if (a->len == 0)
		return a;
	guint content_types = 0, boundaries = 0, fields = 0;
	/* Whether p may be in a header GMime reads: the message's own, or
	 * one after a line that may be a boundary, up to its blank line. */
	gboolean in_header = TRUE;
	for (const guint8 *p = a->data, *end = a->data + a->len; p && p < end; ) {
		const guint8 *eol = memchr (p, '\n', end - p);
		gboolean field = FALSE;
		const char *what = NULL, *bound = NULL;
		guint n = 0;
		if ((*p == 'C' || *p == 'c') && is_content_type_line (p, end) &&
		    (n = ++content_types) > NS_MAX_CONTENT_TYPES)
			what = "Content-Type", bound = "NS_MAX_CONTENT_TYPES";
		else if (*p == '-' && p + 1 < end && p[1] == '-' && (n = ++boundaries) > NS_MAX_BOUNDARY_LINES)
			what = "\"--\"", bound = "NS_MAX_BOUNDARY_LINES";
		else if (in_header && *p != '-' &&
		         (field = headers_field_name_len ((const char *) p, (eol ? eol : end) - p, TRUE) > 0) &&
		         (n = ++fields) > NS_MAX_FIELD_LINES)
			what = "header field", bound = "NS_MAX_FIELD_LINES";
		if (what) {
			note (b, "message cut at its %s line %u (%s)", what, n, bound);
			g_byte_array_set_size (a, p - a->data);
			break;
		}
		if (*p == '-' && p + 1 < end && p[1] == '-')
			in_header = TRUE;
		else if (in_header && !field && !(*p == ' ' || *p == '\t'))
			in_header = FALSE; /* the blank line, or text: content */
		p = eol ? eol + 1 : NULL;
	}
	return a;
}

static gboolean
is_identity (GMimeContentEncoding encoding)
{
	return encoding == GMIME_CONTENT_ENCODING_DEFAULT || encoding == GMIME_CONTENT_ENCODING_7BIT ||
	       encoding == GMIME_CONTENT_ENCODING_8BIT || encoding == GMIME_CONTENT_ENCODING_BINARY;
}

/* Whether append_decoded undoes this encoding: plain, base64 and
 * quoted-printable (uuencode is left to GMime's filters). */
static gboolean
is_decodable (GMimeContentEncoding encoding)
{
	return is_identity (encoding) || encoding == GMIME_CONTENT_ENCODING_BASE64 ||
	       encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
}

/* Appends n bytes of content to out with the transfer encoding undone;
 * state: GMime's decoder state, or NULL for plain content. */
static void
append_decoded (GByteArray *out, GMimeEncoding *state, const char *in, gsize n)
{
	if (state == NULL) {
		g_byte_array_append (out, (const guint8 *) in, n);
		return;
	}
	guint len = out->len;
	g_byte_array_set_size (out, len + g_mime_encoding_outlen (state, n));
	out->len = len + g_mime_encoding_step (state, in, n, (char *) out->data + len);
}

/* Returns: (transfer full) content read from a window on the prepared
 * bytes with its transfer encoding (plain, base64 or quoted-printable)
 * undone and LF line ends. */
static GByteArray *
decode_window (GMimeContentEncoding encoding, const guint8 *data, gsize len)
{
	/* Reserved room, so that even empty content has storage: the callers
	 * compute data + len, and with no storage data is NULL (NULL + 0 is
	 * undefined behaviour). */
	GByteArray *bytes = g_byte_array_sized_new (MAX (len, 256));
	GMimeEncoding state;
	g_mime_encoding_init_decode (&state, encoding);
	append_decoded (bytes, is_identity (encoding) ? NULL : &state, (const char *) data, len);
	to_lf (bytes);
	return bytes;
}

/* The same for the start of a window up to its first blank line after
 * the first line that is not blank (all of it when there is none): only
 * the header of a quoted original is read, its body and attachments are
 * never copied. Blank lines before the header are kept (leading_header
 * skips them). Encoded parts are rare and decoded whole. */
static GByteArray *
decode_window_head (GMimeContentEncoding encoding, const guint8 *data, gsize len)
{
	if (!is_identity (encoding))
		return decode_window (encoding, data, len);
	gsize from = 0, cut = len;
	while (from < len && (data[from] == '\n' || data[from] == ' ' || data[from] == '\t'))
		from++;
	for (gsize i = from; i + 1 < len; i++)
		if (data[i] == '\n' && data[i + 1] == '\n') {
			cut = i + 2;
			break;
		}
	GByteArray *bytes = g_byte_array_sized_new (MAX (cut, 256)); /* data never NULL */
	g_byte_array_append (bytes, data, cut);
	return bytes;
}

/* A GMime part's content as a window on the bytes GMime parsed: the
 * parser reads them through a GMimeStreamMem, and a part's content is a
 * substream of it. FALSE for content held otherwise. */
static gboolean
gmime_window (GMimeDataWrapper *content, const guint8 **data, gsize *len)
{
	GMimeStream *raw = g_mime_data_wrapper_get_stream (content);
	if (!GMIME_IS_STREAM_MEM (raw))
		return FALSE;
	GByteArray *a = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (raw));
	if (a == NULL)
		return FALSE;
	gint64 start = raw->bound_start, end = raw->bound_end < 0 ? (gint64) a->len : raw->bound_end;
	if (start < 0 || start > (gint64) a->len || end > (gint64) a->len)
		return FALSE;
	/* An empty part ends one byte before it starts, to GMime. */
	*data = a->data ? a->data + start : (const guint8 *) "";
	*len = end > start ? (gsize) (end - start) : 0;
	return TRUE;
}

/* Returns: (transfer full) a GMime part's content decoded as
 * decode_window (head: as decode_window_head) decodes it, or NULL.
 * Other encodings (uuencode) go through GMime's filter streams. */
static GByteArray *
decode_part (GMimePart *part, gboolean head, gsize max)
{
	GMimeDataWrapper *content = g_mime_part_get_content (part);
	if (content == NULL)
		return NULL;
	GMimeContentEncoding encoding = g_mime_data_wrapper_get_encoding (content);
	const guint8 *data;
	gsize len;
	if (is_decodable (encoding) && gmime_window (content, &data, &len))
		return head ? decode_window_head (encoding, data, len) : decode_window (encoding, data, MIN (len, max));
	GByteArray *bytes = g_byte_array_sized_new (256); /* data never NULL: see decode_window */
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array (bytes);
	g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (mem), FALSE);
	g_mime_data_wrapper_write_to_stream (content, mem);
	g_object_unref (mem);
	to_lf (bytes);
	if (bytes->len > max)
		g_byte_array_set_size (bytes, max);
	return bytes;
}

/* A leaf part as the walk keeps it: a part of GMime's tree (obj), or one
 * of mimesplit's (split, whose content is a window on bytes). */
typedef struct {
	GMimeObject *obj;
	const MimeSplitPart *split;
	const GByteArray *bytes;
} PartRef;

static gboolean
part_ref_set (const PartRef *r)
{
	return r->obj || r->split;
}

/* Returns: (transfer full) the part's decoded content, or NULL; max: at
 * most the content of its first max bytes as written (G_MAXSIZE: all). */
static GByteArray *
decode_ref_max (const PartRef *r, gsize max)
{
	if (r->split)
		return decode_window (r->split->encoding, r->bytes->data + r->split->start, MIN (r->split->len, max));
	return decode_part (GMIME_PART (r->obj), FALSE, max);
}

static GByteArray *
decode_ref (const PartRef *r)
{
	return decode_ref_max (r, G_MAXSIZE);
}

/* Returns: (transfer full) the head of the part's decoded content, or NULL. */
static GByteArray *
decode_ref_head (const PartRef *r)
{
	if (r->split)
		return decode_window_head (r->split->encoding, r->bytes->data + r->split->start, r->split->len);
	return decode_part (GMIME_PART (r->obj), TRUE, G_MAXSIZE);
}

/* message/rfc822 and its kin are leaf parts to our GMime: the inside of
 * a quoted original is never walked as the bounce's, and only its header
 * is read (decode_window_head, headers_parse_block). Letting GMime build
 * the original's whole tree, attachments and all, only to drop it, cost
 * about a fifth of the parse.
 *
 * GMime drops the entries these registrations replace without freeing
 * them (a few dozen bytes, once per process); LeakSanitizer would report
 * them at every exit, so it looks away while GMime starts and they are
 * made. */
static gpointer
init_once (gpointer unused)
{
	static const char *const subtypes[] = { "rfc822", "rfc2822", "global", "news", "rfc822-headers",
		                                "rfc822-header" };
#ifdef NS_LSAN
	__lsan_disable ();
#endif
	g_mime_init ();
	for (guint i = 0; i < G_N_ELEMENTS (subtypes); i++)
		g_mime_object_register_type ("message", subtypes[i], GMIME_TYPE_PART);
#ifdef NS_LSAN
	__lsan_enable ();
#endif
	return NULL;
}

void
bounce_init (void)
{
	static GOnce once = G_ONCE_INIT;
	g_once (&once, init_once, NULL);
}

/* Returns: (transfer full) the top MIME object parsed from prepared
 * bytes, with every header of the message in its header list, or NULL.
 * A part, not a GMimeMessage: a message would also parse its From, To,
 * Cc and Date into objects we never read. GMime reads the array in
 * place, and the object reads from it later (part contents are windows
 * on it): the caller keeps bytes alive as long as the object, or passes
 * ownership with take. */
static GMimeObject *
parse_top (GByteArray *bytes, gboolean take)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_byte_array (bytes);
	g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (stream), take);
	GMimeParser *parser = g_mime_parser_new_with_stream (stream);
	GMimeObject *top = g_mime_parser_construct_part (parser, NULL);
	g_object_unref (parser);
	g_object_unref (stream);
	return top;
}

/* Rewrites the prepared message, in place, as its Content-* fields (with
 * their continuation lines, as written), a blank line and its body. The
 * bounce's own header is read by headers_parse_message, so GMime needs
 * only the fields that shape the MIME tree: each field it parses becomes
 * a GObject, and a bounce's own header (its Received chain above all)
 * made a third of them. The lines are taken from the bytes, not from the
 * HeaderBlock, so that fields past NS_MAX_HEADERS still count, as they
 * did for GMime. body: where the body starts (headers_parse_message). */
static void
mime_header_only (GByteArray *bytes, gsize body)
{
	g_autoptr (GString) head = g_string_sized_new (256);
	const char *p = (const char *) bytes->data, *end = p ? p + body : NULL;
	gboolean keep = FALSE;
	while (p && p < end) {
		const char *eol = memchr (p, '\n', end - p);
		const char *next = eol ? eol + 1 : end;
		if (next - p <= 1)
			break; /* the blank line */
		if (*p != ' ' && *p != '\t')
			keep = next - p > 8 && g_ascii_strncasecmp (p, "Content-", 8) == 0;
		if (keep) {
			g_string_append_len (head, p, next - p);
			if (head->str[head->len - 1] != '\n')
				g_string_append_c (head, '\n');
		}
		p = next;
	}
	g_string_append_c (head, '\n');
	if (head->len <= body) {
		/* It fits where the header was: written over its end. */
		memcpy (bytes->data + body - head->len, head->str, head->len);
		g_byte_array_remove_range (bytes, 0, body - head->len);
	} else {
		g_byte_array_remove_range (bytes, 0, body);
		g_byte_array_prepend (bytes, (const guint8 *) head->str, head->len);
	}
}

/* The d= tag of a DKIM-Signature value, lower-cased, or NULL. */
static char *
dkim_domain (const char *value)
{
	g_auto (GStrv) tags = g_strsplit (value, ";", 64);
	for (guint i = 0; tags[i]; i++) {
		char *tag = g_strstrip (tags[i]);
		if (tag[0] == 'd' && (tag[1] == '=' || tag[1] == ' ')) {
			const char *v = strchr (tag, '=');
			if (v == NULL)
				continue;
			g_autofree char *d = g_strdup (v + 1);
			g_strstrip (d);
			return d[0] ? g_ascii_strdown (d, -1) : NULL;
		}
	}
	return NULL;
}

/* Builds the original's facts from its header block (takes it). */
static BounceOriginal *
original_new (HeaderBlock *headers, char *where, gboolean inline_quote)
{
	BounceOriginal *o = g_new0 (BounceOriginal, 1);
	o->headers = headers;
	o->where = where;
	o->inline_quote = inline_quote;
	o->message_id = headers_get (headers, "Message-ID");
	o->from = headers_get (headers, "From");
	o->to = headers_get (headers, "To");
	o->date = headers_get (headers, "Date");
	o->subject = headers_get (headers, "Subject");
	o->return_path = headers_get (headers, "Return-Path");
	o->authentication_results = g_ptr_array_new_with_free_func (g_free);
	o->received_spf = g_ptr_array_new_with_free_func (g_free);
	o->dkim_domains = g_ptr_array_new_with_free_func (g_free);
	o->received = g_ptr_array_new_with_free_func ((GDestroyNotify) received_hop_free);

	for (guint i = 0; i < headers->fields->len; i++) {
		const char *name = headers_field (headers, i)->name;
		if (g_ascii_strcasecmp (name, "Received") == 0) {
			if (o->received->len < NS_MAX_RECEIVED_HOPS)
				g_ptr_array_add (o->received, received_parse (headers_value (headers, i)));
			else
				o->received_dropped++;
		} else if (g_ascii_strcasecmp (name, "Authentication-Results") == 0)
			g_ptr_array_add (o->authentication_results, g_strdup (headers_value (headers, i)));
		else if (g_ascii_strcasecmp (name, "Received-SPF") == 0)
			g_ptr_array_add (o->received_spf, g_strdup (headers_value (headers, i)));
		else if (g_ascii_strcasecmp (name, "DKIM-Signature") == 0) {
			char *d = dkim_domain (headers_value (headers, i));
			if (d)
				g_ptr_array_add (o->dkim_domains, d);
		}
	}
	return o;
}

/* An original quoted as a part's own MIME header. */
static BounceOriginal *
original_from_message_header (const PartRef *part, char *where)
{
	HeaderBlock *h;
	if (part->split)
		h = headers_parse_block ((const char *) part->bytes->data + part->split->header_start,
		                         part->split->header_len);
	else
		h = headers_from_gmime (g_mime_object_get_header_list (part->obj));
	return original_new (h, where, FALSE);
}

/* A header block whose every line is indented by one space (a text/rfc822
 * part some gateways write so): the lines up to the first blank one, one
 * space less each; NULL when a line is not so indented. */
static GString *
unindent (const char *p, gsize len)
{
	GString *out = g_string_sized_new (len);
	for (const char *end = p + len; p < end; ) {
		const char *eol = memchr (p, '\n', end - p);
		gsize n = (eol ? eol : end) - p;
		gboolean blank = TRUE;
		for (gsize i = 0; i < n && blank; i++)
			blank = p[i] == ' ' || p[i] == '\t';
		if (blank)
			break; /* the end of the header */
		if (p[0] != ' ') {
			g_string_free (out, TRUE);
			return NULL;
		}
		g_string_append_len (out, p + 1, n - 1);
		g_string_append_c (out, '\n');
		p += n + 1;
	}
	return out;
}

/* The header block at the start of bytes (after blank lines and an mbox
 * "From " line), or NULL when there is no field at all. */
static HeaderBlock *
leading_header (const guint8 *data, gsize len)
{
	const char *p = (const char *) data, *end = p + len, *line = p;
	while (p < end && (*p == '\n' || *p == ' ' || *p == '\t'))
		if (*p++ == '\n')
			line = p; /* the start of the first line that is not blank */
	if (end - p > 5 && memcmp (p, "From ", 5) == 0) {
		const char *eol = memchr (p, '\n', end - p);
		p = line = eol ? eol + 1 : end;
	}
	/* Every line indented by one space: read without it. Otherwise the
	 * first line's indentation alone is dropped. */
	g_autoptr (GString) unindented = line < end && *line == ' ' ? unindent (line, end - line) : NULL;
	if (unindented) {
		p = unindented->str;
		end = p + unindented->len;
	}
	HeaderBlock *h = headers_parse_block (p, end - p);
	if (h->fields->len == 0) {
		headers_free (h);
		return NULL;
	}
	return h;
}

/* Whether a header block holds only the fields of a MIME part's own
 * header (Content-*, MIME-Version): at the start of a message/rfc822
 * part, what is left of that part's header when a broken parameter (an
 * unterminated subject=" followed by a line break) ended it early. A
 * message's header always has more. */
static gboolean
is_mime_remnant (const HeaderBlock *h)
{
	for (guint i = 0; i < h->fields->len; i++) {
		const char *name = headers_field (h, i)->name;
		if (g_ascii_strncasecmp (name, "Content-", 8) != 0 && g_ascii_strcasecmp (name, "MIME-Version") != 0)
			return FALSE;
	}
	return TRUE;
}

/* A part that holds an original only as bytes: encoded message/rfc822,
 * message/partial, text/rfc822-headers, message/global-headers, an attached
 * .eml. Only its header is needed, so GMime does not parse it again. */
static BounceOriginal *
original_from_bytes (const PartRef *part, char *where)
{
	g_autoptr (GByteArray) raw = decode_ref_head (part);
	HeaderBlock *h = raw ? leading_header (raw->data, raw->len) : NULL;
	if (h && is_mime_remnant (h)) {
		/* Only what is left of the part's own header: the original's
		 * follows, after the blank line that ended it early. */
		g_autoptr (GByteArray) all = decode_ref (part);
		const char *p = all ? (const char *) all->data : NULL, *end = p ? p + all->len : NULL;
		while (p && p < end && (*p == '\n' || *p == ' ' || *p == '\t'))
			p++;
		const char *blank = p ? g_strstr_len (p, end - p, "\n\n") : NULL;
		HeaderBlock *next = blank ? leading_header ((const guint8 *) blank + 2, end - blank - 2) : NULL;
		if (next && !is_mime_remnant (next)) {
			headers_free (h);
			h = next;
		} else
			headers_free (next);
	}
	if (h == NULL) {
		g_free (where);
		return NULL;
	}
	return original_new (h, where, FALSE);
}

static gboolean
is_eml_name (const char *name)
{
	return name && (g_str_has_suffix (name, ".eml") || g_str_has_suffix (name, ".EML"));
}

typedef struct {
	GMimeObject *obj;
	guint depth;
	char *path;
} WalkItem;

static void
walk_item_free (gpointer data)
{
	WalkItem *item = data;
	g_free (item->path);
	g_free (item);
}

/* What the walk of the bounce's MIME tree collects. */
typedef struct {
	PartRef original;        /* the best part holding an original */
	guint original_rank;     /* depth * 2, +1 for a part's own header (a guess) */
	gboolean original_in_part_header;
	char *original_path;
	char *original_type;     /* its type/subtype */
	PartRef report;          /* the first delivery-status part */
	PartRef mdn;             /* the first disposition-notification part */
	char *report_path;
	BounceKind report_kind;  /* from a report-type or a report part's type */
	char *report_why;
	GPtrArray *keep;         /* objects re-parsed during the walk, kept alive */
	gboolean resniffed;      /* a lost boundary was looked for once already */
} Walk;

/* One MIME entity as the walk sees it, from either source. */
typedef struct {
	guint depth;
	const char *path;
	const char *type, *subtype;
	const char *report_type;     /* multipart */
	const char *filename;        /* leaf */
	gboolean header_is_original; /* leaf: its own header quotes an original */
	PartRef ref;                 /* leaf */
} Entity;

static gboolean
is_type (const Entity *e, const char *type, const char *subtype)
{
	return e->type && e->subtype && g_ascii_strcasecmp (e->type, type) == 0 &&
	       g_ascii_strcasecmp (e->subtype, subtype) == 0;
}

static void
consider_original (Walk *w, const Entity *e, gboolean part_header)
{
	guint rank = e->depth * 2 + (part_header ? 1 : 0);
	if (!part_ref_set (&w->original) || rank < w->original_rank) {
		w->original = e->ref;
		w->original_rank = rank;
		w->original_in_part_header = part_header;
		g_free (w->original_path);
		w->original_path = g_strdup (e->path);
		g_free (w->original_type);
		w->original_type = g_strdup_printf ("%s/%s", e->type, e->subtype);
	}
}

/* Broken bouncers quote the original's header as the MIME header of a
 * part of their own (no Content-Type: message/rfc822 line): a leaf part
 * whose header has Received or Message-ID lines holds it. */
static gboolean
part_header_is_original (GMimeObject *obj)
{
	GMimeHeaderList *list = g_mime_object_get_header_list (obj);
	return g_mime_header_list_contains (list, "Received") ||
	       g_mime_header_list_contains (list, "Message-ID");
}

/* A multipart whose declared boundary never occurs keeps everything in
 * its prologue. When the prologue has a line "--X" that comes back later,
 * X was the real boundary: returns (transfer full) the content re-parsed
 * with it, or NULL. */
static GMimeObject *
resniff_multipart (Bounce *b, GMimeMultipart *mp)
{
	const char *prologue = g_mime_multipart_get_prologue (mp);
	if (prologue == NULL)
		return NULL;
	gsize len = strlen (prologue);

	/* One pass over the lines: the first "--X" line seen a second time
	 * (as "--X" or "--X--") names the boundary. Distinct candidates are
	 * bounded, so a prologue of a million different "--" lines costs one
	 * pass, not a search per line. */
	g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
	g_autofree char *boundary = NULL;
	for (const char *p = prologue; p && p < prologue + len && !boundary; ) {
		const char *eol = strchr (p, '\n');
		gsize n = eol ? (gsize) (eol - p) : strlen (p);
		if (n > 2 && n < 200 && p[0] == '-' && p[1] == '-' && p[2] > ' ') {
			char *candidate = g_strndup (p + 2, n - 2);
			g_strchomp (candidate);
			if (g_str_has_suffix (candidate, "--"))
				candidate[strlen (candidate) - 2] = '\0';
			if (candidate[0] == '\0' || strpbrk (candidate, "\"\\"))
				g_free (candidate);
			else if (g_hash_table_contains (seen, candidate))
				boundary = candidate;
			else if (g_hash_table_size (seen) < NS_MAX_RESNIFF_CANDIDATES)
				g_hash_table_add (seen, candidate);
			else
				g_free (candidate);
		}
		p = eol ? eol + 1 : NULL;
	}
	if (boundary == NULL)
		return NULL;

	note (b, "MIME boundary not found; re-parsed with the boundary used in the body");
	GByteArray *bytes = g_byte_array_new ();
	g_autofree char *head = g_strdup_printf ("Content-Type: multipart/mixed; boundary=\"%s\"\n\n", boundary);
	g_byte_array_append (bytes, (const guint8 *) head, strlen (head));
	g_byte_array_append (bytes, (const guint8 *) prologue, len);
	return parse_top (bytes, TRUE);
}

/* Adds decoded text to the bounce's text, on a line of its own. */
static void
append_text (Bounce *b, const char *text, gssize len)
{
	if (text == NULL || b->text->len >= NS_MAX_TEXT_BYTES)
		return;
	gsize n = len < 0 ? strlen (text) : (gsize) len;
	if (b->text->len && b->text->str[b->text->len - 1] != '\n')
		g_string_append_c (b->text, '\n');
	g_string_append_len (b->text, text, MIN (n, NS_MAX_TEXT_BYTES - b->text->len));
}

/* What a multipart says: a multipart/report's report-type names the kind. */
static void
visit_multipart (Walk *w, const Entity *e)
{
	if (!is_type (e, "multipart", "report") || w->report_kind != BOUNCE_KIND_NONE)
		return;
	const char *rt = e->report_type;
	BounceKind k = BOUNCE_KIND_NONE;
	if (rt && (g_ascii_strcasecmp (rt, "delivery-status") == 0 ||
	           g_ascii_strcasecmp (rt, "global-delivery-status") == 0))
		k = BOUNCE_KIND_DSN;
	else if (rt && g_ascii_strcasecmp (rt, "disposition-notification") == 0)
		k = BOUNCE_KIND_MDN;
	else if (rt && g_ascii_strcasecmp (rt, "feedback-report") == 0)
		k = BOUNCE_KIND_FEEDBACK;
	if (k != BOUNCE_KIND_NONE) {
		w->report_kind = k;
		w->report_why = g_strdup_printf ("%s is multipart/report; report-type=%s", e->path, rt);
	}
}

/* The types a quoted original comes in: RFC 2046's, RFC 6522's and RFC
 * 6532's, and the spellings bouncers use instead (MAILsweeper and others
 * write message/rfc822-headers; text/rfc822 and message/rfc2822 are seen
 * too). */
static gboolean
is_original_container (const Entity *e)
{
	static const char *const types[][2] = {
		{ "message", "rfc822" }, { "message", "global" }, { "message", "partial" },
		{ "text", "rfc822-headers" }, { "message", "global-headers" },
		{ "text", "rfc822-header" }, { "message", "rfc822-headers" }, { "message", "rfc822-header" },
		{ "text", "rfc822" }, { "message", "rfc2822" },
	};
	for (guint i = 0; i < G_N_ELEMENTS (types); i++)
		if (is_type (e, types[i][0], types[i][1]))
			return TRUE;
	return FALSE;
}

/* What a leaf part is: a report, an original, or text of the bounce. */
static void
visit_leaf (Bounce *b, Walk *w, const Entity *e)
{
	BounceKind k = BOUNCE_KIND_NONE;
	if (is_type (e, "message", "delivery-status") || is_type (e, "message", "global-delivery-status"))
		k = BOUNCE_KIND_DSN;
	else if (is_type (e, "message", "disposition-notification") ||
	         is_type (e, "message", "global-disposition-notification"))
		k = BOUNCE_KIND_MDN;
	else if (is_type (e, "message", "feedback-report"))
		k = BOUNCE_KIND_FEEDBACK;
	if (k != BOUNCE_KIND_NONE) {
		if (!part_ref_set (&w->report) && k == BOUNCE_KIND_DSN) {
			w->report = e->ref;
			w->report_path = g_strdup (e->path);
		}
		if (!part_ref_set (&w->mdn) && k == BOUNCE_KIND_MDN)
			w->mdn = e->ref;
		if (w->report_kind == BOUNCE_KIND_NONE) {
			w->report_kind = k;
			w->report_why = g_strdup_printf ("%s is %s/%s", e->path, e->type, e->subtype);
		}
	} else if (is_original_container (e) || is_eml_name (e->filename)) {
		consider_original (w, e, FALSE);
	} else {
		if (e->header_is_original)
			consider_original (w, e, TRUE);
		if (is_type (e, "text", "plain") && b->text->len < NS_MAX_TEXT_BYTES) {
			g_autoptr (GByteArray) text = decode_ref (&e->ref);
			if (text)
				append_text (b, (const char *) text->data, text->len);
		}
	}
}

/* The walk over mimesplit's parts: the same visits, in the same order. */
static void
walk_split (Bounce *b, const MimeSplit *split, const GByteArray *bytes, Walk *w)
{
	for (guint i = 0; i < split->parts->len; i++) {
		const MimeSplitPart *p = &g_array_index (split->parts, MimeSplitPart, i);
		Entity e = { .depth = p->depth, .path = p->path ? p->path : "top level",
		             .type = p->type, .subtype = p->subtype,
		             .report_type = p->report_type, .filename = p->filename,
		             .header_is_original = p->header_is_original,
		             .ref = { .split = p, .bytes = bytes } };
		if (p->multipart)
			visit_multipart (w, &e);
		else
			visit_leaf (b, w, &e);
	}
}

static void
walk_tree (Bounce *b, GMimeObject *top, Walk *w)
{
	GQueue stack = G_QUEUE_INIT;
	guint visited = 0;
	gboolean depth_noted = FALSE;

	WalkItem *root = g_new0 (WalkItem, 1);
	root->obj = top;
	g_queue_push_head (&stack, root);
	while (!g_queue_is_empty (&stack)) {
		WalkItem *item = g_queue_pop_head (&stack);
		GMimeObject *obj = item->obj;
		const char *path = item->path ? item->path : "top level";
		GMimeContentType *ct = g_mime_object_get_content_type (obj);

		if (++visited > NS_MAX_MIME_PARTS) {
			note (b, "MIME parts past %d not visited", NS_MAX_MIME_PARTS);
			walk_item_free (item);
			break;
		}

		if (GMIME_IS_MULTIPART (obj)) {
			Entity e = { .depth = item->depth, .path = path,
			             .type = g_mime_content_type_get_media_type (ct),
			             .subtype = g_mime_content_type_get_media_subtype (ct),
			             .report_type = g_mime_content_type_get_parameter (ct, "report-type") };
			visit_multipart (w, &e);
			GMimeMultipart *mp = GMIME_MULTIPART (obj);
			int n = g_mime_multipart_get_count (mp);
			if (n == 0 && !w->resniffed) {
				w->resniffed = TRUE;
				GMimeObject *again = resniff_multipart (b, mp);
				if (again && GMIME_IS_MULTIPART (again) && g_mime_multipart_get_count (GMIME_MULTIPART (again))) {
					g_ptr_array_add (w->keep, again);
					mp = GMIME_MULTIPART (again);
					n = g_mime_multipart_get_count (mp);
				} else if (again)
					g_object_unref (again);
			}
			if (n == 0)
				append_text (b, g_mime_multipart_get_prologue (mp), -1);
			if (item->depth + 1 >= NS_MAX_MIME_DEPTH) {
				if (!depth_noted)
					note (b, "MIME parts deeper than %d not visited", NS_MAX_MIME_DEPTH);
				depth_noted = TRUE;
				n = 0;
			}
			/* Pushed in reverse, so they pop in document order. */
			for (int i = n - 1; i >= 0; i--) {
				WalkItem *child = g_new (WalkItem, 1);
				child->obj = g_mime_multipart_get_part (mp, i);
				child->depth = item->depth + 1;
				child->path = item->path ? g_strdup_printf ("%s.%d", item->path, i + 1)
				                         : g_strdup_printf ("%d", i + 1);
				g_queue_push_head (&stack, child);
			}
		} else if (GMIME_IS_PART (obj)) {
			Entity e = { .depth = item->depth, .path = path,
			             .type = g_mime_content_type_get_media_type (ct),
			             .subtype = g_mime_content_type_get_media_subtype (ct),
			             .filename = g_mime_part_get_filename (GMIME_PART (obj)),
			             /* The top object's header is the bounce's own. */
			             .header_is_original = item->depth > 0 && part_header_is_original (obj),
			             .ref = { .obj = obj } };
			visit_leaf (b, w, &e);
		}
		walk_item_free (item);
	}
	/* Anything left after a bound. */
	g_queue_clear_full (&stack, walk_item_free);
}

static void
set_arrival (Bounce *b)
{
	const char *received = headers_get (b->headers, "Received");
	if (received) {
		/* Kept: the summary names the server that handed the bounce to us. */
		const ReceivedHop *hop = b->top_hop = received_parse (received);
		if (hop->date) {
			b->arrival_date = g_strdup (hop->date);
			b->arrival_time = hop->time;
			b->arrival_where = g_strdup ("the bounce's topmost Received line");
			return;
		}
	}
	const char *date = headers_get (b->headers, "Date");
	if (date) {
		b->arrival_date = g_strdup (date);
		b->arrival_time = received_parse_date (date);
		b->arrival_where = g_strdup ("the bounce's Date header");
	}
}

/* A message/rfc822 part whose content starts with a blank line parses as
 * a message with no header and the original's header as its body. */
/* A disposition notification that reports a rejection is a failure, not
 * a read receipt (doc/design.md's kinds): RFC 5429's Sieve reject, and
 * Dovecot's rejection of mail to a full mailbox, are MDNs with
 * "Disposition: automatic-action/...; deleted"; RFC 3798 also had the
 * denied and failed types, and error or failed modifiers, and a Failure
 * or Error field. Such a bounce is kind ndr. */
static void
mdn_rejection (Bounce *b, const PartRef *part)
{
	g_autoptr (GByteArray) text = decode_ref (part);
	if (text == NULL)
		return;
	g_autoptr (HeaderBlock) fields = headers_parse_block ((const char *) text->data, MIN (text->len, NS_MAX_DSN_BYTES));
	const char *disposition = headers_get (fields, "Disposition");
	gboolean failed = headers_get (fields, "Failure") || headers_get (fields, "Error");
	if (disposition && !failed) {
		g_autofree char *d = g_ascii_strdown (disposition, -1);
		const char *semi = strchr (d, ';');
		g_auto (GStrv) words = g_strsplit_set (semi ? semi + 1 : "", " \t/,", 16);
		gboolean automatic = g_str_has_prefix (d, "automatic-action");
		for (guint i = 0; words[i] && !failed; i++)
			failed = (automatic && strcmp (words[i], "deleted") == 0) || strcmp (words[i], "denied") == 0 ||
			         strcmp (words[i], "failed") == 0 || strcmp (words[i], "error") == 0;
	}
	if (!failed)
		return;
	char *why = g_strdup_printf ("%s, reporting a rejection (Disposition: %s)", b->kind_why,
	                             disposition ? disposition : "-");
	g_free (b->kind_why);
	b->kind_why = why;
	b->kind = BOUNCE_KIND_NDR;
}

/* Whether text holds an SMTP failure reply with its enhanced status code
 * ("550 5.1.1", "554-5.7.1", "452 #4.2.2"): what a mail server says, in
 * the syntax of RFC 5321 and RFC 3463, never what a person writing an
 * auto-reply does. Looked for in the first NS_MAX_FORMAT_BODY_BYTES. */
static gboolean
has_smtp_failure (const char *text, gsize len)
{
	static Pattern *re; /* compiled once, kept for the life of the process */
	static gsize ready;
	if (g_once_init_enter (&ready)) {
		re = pattern_compile_raw ("\\b[45][0-9][0-9][ -]#?[45]\\.[0-9]{1,3}\\.[0-9]{1,3}\\b", 0, NULL);
		g_once_init_leave (&ready, 1);
	}
	return re && pattern_matches (re, text, MIN (len, NS_MAX_FORMAT_BODY_BYTES));
}

/* The first *.formats family that recognises the bounce, or -1; sets
 * b->family. */
static int
recognise (Bounce *b, const TextbounceFormats *formats)
{
	int family = textbounce_identify (formats, b->headers, b->text->str, b->text->len);
	if (family >= 0)
		b->family = g_strdup (textbounce_family_name (formats, family));
	return family;
}

/* Where a candidate original came from: what the checks of
 * take_original need beyond its header. */
typedef struct {
	const PartRef *part;      /* a MIME part holding it, or NULL */
	gboolean in_part_header;  /* in that part's own header: its content is no message */
	const char *text;         /* else the text it is quoted in */
	gsize text_len;
	const TextbounceQuote *quote;
} Source;

static Bounce *parse_bytes (const TextbounceFormats *formats, GBytes *message, gboolean truncated,
                            gboolean own_readers, guint depth);

/* Whether a candidate is the bounce's own header block read back (a
 * message whose header its parse missed): its Message-ID is the bounce's
 * own and so are its From, To, Date and Subject (those the bounce has);
 * or the bounce has no header and the block opens its text. A quote of
 * another message is not, even with the same Message-ID and Date (as
 * anonymised samples have). */
static gboolean
is_own_header (const Bounce *b, const BounceOriginal *o, const Source *src)
{
	if (b->headers->fields->len == 0) {
		/* No header of its own: a block at its very top (after at most
		 * a stray line or two) is the one its parse missed. */
		if (src->quote == NULL || src->text == NULL)
			return FALSE;
		guint lines = 0;
		for (gsize i = 0; i < src->quote->start && lines <= 2; i++)
			lines += src->text[i] == '\n' && i > 0 && src->text[i - 1] != '\n';
		return lines <= 2;
	}
	static const char *const same[] = { "Subject", "From", "To", "Date" }; /* the likeliest to differ first */
	for (guint i = 0; i < G_N_ELEMENTS (same); i++) {
		const char *v = headers_get (b->headers, same[i]);
		if (v && g_strcmp0 (v, headers_get (o->headers, same[i])) != 0)
			return FALSE;
	}
	g_autofree char *own = msgid_normalise (headers_get (b->headers, "Message-ID"));
	g_autofree char *theirs = msgid_normalise (o->message_id);
	return own && g_strcmp0 (own, theirs) == 0;
}

/* Whether a *.formats family of kind ndr or dsn recognises a message by
 * its wording (subject and body patterns: who sent it is not enough, an
 * original may well come from postmaster). text may be NULL. */
static gboolean
says_failure (const TextbounceFormats *formats, const HeaderBlock *h, const char *text, gsize len)
{
	int family = textbounce_identify_wording (formats, h, text, len);
	const char *kind = family >= 0 ? textbounce_family_kind (formats, family) : NULL;
	return g_strcmp0 (kind, "ndr") == 0 || g_strcmp0 (kind, "dsn") == 0;
}

/* Whether a quoted message may itself be a failure report, judged on its
 * header alone and cheaply (every original passes here; the parse of the
 * quoted message that follows decides, by structure or wording): a
 * multipart/report, the null sender bounces are sent with, an
 * Auto-Submitted field (RFC 3834; MTAs put one on their reports), or a
 * sender named like a bouncer (MAILER-DAEMON, postmaster). */
static gboolean
looks_like_report (const HeaderBlock *h)
{
	for (guint i = 0; i < h->fields->len; i++) {
		const HeaderField *f = headers_field (h, i);
		const char *v = f->raw, *end = f->raw + f->raw_len;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		switch (g_ascii_tolower (f->name[0])) {
		case 'c':
			if (g_ascii_strcasecmp (f->name, "Content-Type") == 0 && end - v >= 16 &&
			    g_ascii_strncasecmp (v, "multipart/report", 16) == 0)
				return TRUE;
			break;
		case 'r':
			if (g_ascii_strcasecmp (f->name, "Return-Path") == 0 && end - v >= 2 && v[0] == '<' && v[1] == '>')
				return TRUE;
			break;
		case 'a':
			if (g_ascii_strcasecmp (f->name, "Auto-Submitted") == 0 && !(end - v >= 2 && g_ascii_strncasecmp (v, "no", 2) == 0))
				return TRUE;
			break;
		case 'f':
		case 's':
			if (g_ascii_strcasecmp (f->name, "From") != 0 && g_ascii_strcasecmp (f->name, "Sender") != 0)
				break;
			/* mailer-daemon, MAILER_DAEMON, mail-daemon, ... and postmaster */
			for (const char *p = v; p < end; p++) {
				char c = g_ascii_tolower (*p);
				if ((c == 'd' && end - p >= 6 && g_ascii_strncasecmp (p, "daemon", 6) == 0) ||
				    (c == 'p' && end - p >= 10 && g_ascii_strncasecmp (p, "postmaster", 10) == 0))
					return TRUE;
			}
			break;
		}
	}
	return FALSE;
}

/* The lines of text from start on with the quote prefix removed, up to
 * the first line without it: the quoted message as its sender wrote it.
 * A line with the prefix's marks but not its trailing blanks (a bare ">",
 * or ">>>> DATA" for a quoted ">>> DATA") loses the marks alone. */
static GByteArray *
unquote (const char *text, gsize len, gsize start, const char *prefix)
{
	gsize plen = strlen (prefix), core = plen;
	while (core > 0 && (prefix[core - 1] == ' ' || prefix[core - 1] == '\t'))
		core--;
	GByteArray *out = g_byte_array_sized_new (MAX (len - start, 256)); /* data never NULL */
	for (gsize pos = start; pos < len; ) {
		const char *eol = memchr (text + pos, '\n', len - pos);
		gsize n = (eol ? (gsize) (eol - text) : len) - pos;
		const char *line = text + pos;
		if (n >= plen && memcmp (line, prefix, plen) == 0)
			g_byte_array_append (out, (const guint8 *) line + plen, n - plen);
		else if (core > 0 && n >= core && memcmp (line, prefix, core) == 0)
			g_byte_array_append (out, (const guint8 *) line + core, n - core);
		else if (n > 0)
			break;
		g_byte_array_append (out, (const guint8 *) "\n", 1);
		pos += n + 1;
	}
	return out;
}

/* Whether a message (LF line ends) has text after its header. */
static gboolean
has_body (const GByteArray *m)
{
	const char *p = (const char *) m->data, *end = p + m->len;
	while (p < end && (*p == '\n' || *p == ' ' || *p == '\t'))
		p++; /* blank lines before the header (leading_header skips them) */
	const char *blank = g_strstr_len (p, end - p, "\n\n");
	if (blank == NULL)
		return FALSE;
	for (p = blank + 2; p < end; p++)
		if (!g_ascii_isspace (*p))
			return TRUE;
	return FALSE;
}

/* Whether addr (lower case) stands in text (lower case) as an address of
 * its own: not inside a longer one. */
static gboolean
names_address (const char *text, const char *addr)
{
	gsize n = strlen (addr);
	for (const char *p = strstr (text, addr); p; p = strstr (p + 1, addr)) {
		char before = p > text ? p[-1] : ' ', after = p[n];
		if (!g_ascii_isalnum (before) && !strchr (".-_+@", before) &&
		    !g_ascii_isalnum (after) && !strchr ("-_@", after) && !(after == '.' && g_ascii_isalnum (p[n + 1])))
			return TRUE;
	}
	return FALSE;
}

/* Whether the bounce reports the failure of the quoted message itself
 * (a bounce of a bounce, a "double bounce"): one of its report's
 * recipients is a recipient of the quoted message, or, without a report,
 * its own text before the quote (before, lower case, at most
 * NS_MAX_FORMAT_BODY_BYTES) names one. Then the quoted report is the
 * message that failed; otherwise it was only passed on (forwarded,
 * wrapped by a gateway, re-sent as text). An address without a domain
 * ("To: postmaster", as Sendmail writes it) compares by its local part
 * with the report's recipients. */
static gboolean
reports_the_quote (const Bounce *b, const BounceOriginal *o, const char *before)
{
	if (b->report == NULL && before == NULL)
		return FALSE;
	/* At most NS_MAX_DSN_RECIPIENTS addresses of the quote are compared
	 * with the report's (at most as many) recipients. */
	guint budget = NS_MAX_DSN_RECIPIENTS;
	static const char *const fields[] = { "To", "Cc" };
	for (guint f = 0; f < G_N_ELEMENTS (fields); f++) {
		g_autoptr (GPtrArray) values = headers_get_all (o->headers, fields[f]);
		for (guint v = 0; v < values->len && budget > 0; v++) {
			g_autoptr (InternetAddressList) list = internet_address_list_parse (NULL, values->pdata[v]);
			int n = list ? MIN (internet_address_list_length (list), (int) budget) : 0;
			budget -= n;
			for (int i = 0; i < n; i++) {
				InternetAddress *a = internet_address_list_get_address (list, i);
				const char *addr = INTERNET_ADDRESS_IS_MAILBOX (a)
					? internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (a)) : NULL;
				if (addr == NULL || addr[0] == '\0')
					continue;
				gboolean bare = strchr (addr, '@') == NULL;
				if (b->report == NULL) {
					g_autofree char *lower = g_ascii_strdown (addr, -1);
					if (!bare && names_address (before, lower))
						return TRUE;
					continue;
				}
				gsize local = strlen (addr);
				for (guint r = 0; r < b->report->recipients->len; r++) {
					const ReportRecipient *rr = b->report->recipients->pdata[r];
					const char *rcpts[] = { rr->final_recipient, rr->original_recipient };
					for (guint k = 0; k < G_N_ELEMENTS (rcpts); k++) {
						const char *x = rcpts[k];
						if (x && (bare ? g_ascii_strncasecmp (x, addr, local) == 0 && x[local] == '@'
						               : g_ascii_strcasecmp (x, addr) == 0))
							return TRUE;
					}
				}
			}
		}
	}
	return FALSE;
}

/* A quoted failure report that was only passed on: the original is the
 * one it quotes, read by a parse of its own (one level deeper, up to
 * NS_MAX_NESTED_REPORTS). Returns: (transfer full) that original, or NULL
 * when it quotes none (then nothing is; *failed: the quote was such a
 * report), the message otherwise being no failure report. */
static BounceOriginal *
original_inside (Bounce *b, const TextbounceFormats *formats, GByteArray *message,
                 gboolean own_readers, guint depth, const char *where, gboolean *report)
{
	*report = FALSE;
	if (depth + 1 >= NS_MAX_NESTED_REPORTS) {
		*report = TRUE;
		note (b, "%s: a quoted report deeper than %d (NS_MAX_NESTED_REPORTS) not read", where,
		      NS_MAX_NESTED_REPORTS);
		return NULL;
	}
	g_autoptr (Bounce) inner = parse_bytes (formats, g_byte_array_free_to_bytes (message), FALSE,
	                                        own_readers, depth + 1);
	/* A failure report by its structure, or by its wording. */
	if (inner->kind != BOUNCE_KIND_DSN &&
	    !(inner->kind == BOUNCE_KIND_NDR && says_failure (formats, inner->headers, inner->text->str, inner->text->len)))
		return NULL;
	*report = TRUE;
	for (guint i = 0; i < inner->notes->len; i++)
		note (b, "in the quoted report at %s: %s", where, (char *) inner->notes->pdata[i]);
	BounceOriginal *o = g_steal_pointer (&inner->original);
	if (o) {
		char *w = g_strdup_printf ("%s, a quoted %s report; in it: %s", where, bounce_kind_name (inner->kind), o->where);
		g_free (o->where);
		o->where = w;
	}
	return o;
}

/* The checks every path's candidate passes before it is the original:
 * never the bounce's own header block; and a quoted failure report that
 * was only passed on is not the message that failed, the original it
 * quotes is (none when it quotes none). Takes o. Returns: FALSE to try
 * the next place. */
static gboolean
take_original (Bounce *b, const TextbounceFormats *formats, BounceOriginal *o, const Source *src,
               gboolean own_readers, guint depth)
{
	if (is_own_header (b, o, src)) {
		note (b, "%s is the bounce's own header, not a quote", o->where);
		original_free (o);
		return FALSE;
	}
	/* A header block inside forwarded mail is the forwarded message's:
	 * only as a report passed on (a forwarded bounce) does it lead to
	 * the original. */
	gboolean forwarded = src->quote && src->quote->forwarded;
	g_autoptr (GByteArray) message = NULL;
	g_autofree char *before = NULL;
	gboolean passed_on = formats && looks_like_report (o->headers);
	if (passed_on && b->report == NULL && src->quote)
		before = g_ascii_strdown (src->text, MIN (src->quote->start, NS_MAX_FORMAT_BODY_BYTES));
	if (passed_on && !reports_the_quote (b, o, before)) {
		if (src->part)
			message = src->in_part_header ? NULL : decode_ref_max (src->part, NS_MAX_NESTED_REPORT_BYTES);
		else
			message = unquote (src->text, src->text_len, src->quote->start, src->quote->prefix);
		if (message && !has_body (message))
			g_clear_pointer (&message, g_byte_array_unref);
	}
	if (message) {
		gboolean report;
		BounceOriginal *inner = original_inside (b, formats, g_steal_pointer (&message), own_readers,
		                                         depth, o->where, &report);
		if (report) {
			if (inner == NULL)
				note (b, "%s is a report that was passed on and quotes no original", o->where);
			original_free (o);
			o = inner;
			forwarded = FALSE;
		}
	}
	if (forwarded) {
		note (b, "%s is inside forwarded mail, not a quote", o->where);
		original_free (o);
		return FALSE;
	}
	b->original = o;
	return TRUE;
}

/* Looks for an inline quote in text, by the *.formats' patterns, or
 * (last_resort) by none: header blocks alone, for a bounce known to be a
 * failure report. *quote_at (when not NULL): where a quote found starts.
 * Returns: FALSE to try the next place. */
static gboolean
original_from_text (Bounce *b, const TextbounceFormats *formats, int family, const char *text,
                    gsize len, const char *what, gboolean last_resort, gboolean own_readers, guint depth,
                    gsize *quote_at)
{
	g_autoptr (TextbounceQuote) q = last_resort ? textbounce_find_quote (NULL, -1, text, len, TRUE)
	                                            : textbounce_find_original (formats, family, text, len);
	if (q == NULL)
		return FALSE;
	HeaderBlock *h = headers_parse_block (q->headers, q->headers_len);
	if (h->fields->len == 0) {
		headers_free (h);
		return FALSE;
	}
	if (quote_at)
		*quote_at = q->start; /* what follows is quoted, taken or not */
	char *where = q->family ? g_strdup_printf ("%s line %u, after %s pattern %s", what, q->line, q->family, q->marker)
	                        : g_strdup_printf ("%s line %u, a header block found without a pattern", what, q->line);
	BounceOriginal *o = original_new (h, where, TRUE);
	Source src = { .text = text, .text_len = MIN (len, NS_MAX_TEXT_BYTES), .quote = q };
	return take_original (b, formats, o, &src, own_readers, depth);
}

/* family: the recognised family, or -1; recognised: whether recognition
 * already ran (it is left until needed for report bounces); *quote_at:
 * where an original quoted in the bounce's text starts, else left. */
static void
find_original (Bounce *b, const TextbounceFormats *formats, Walk *w, int family,
               gboolean recognised, const GByteArray *report_text, gboolean own_readers, guint depth,
               gsize *quote_at)
{
	/* Only a bounce quotes an original: a forwarded mail attached to an
	 * ordinary message is not one. */
	if (b->kind == BOUNCE_KIND_NONE)
		return;
	if (part_ref_set (&w->original)) {
		char *where = g_strdup_printf ("MIME part %s (%s)%s", w->original_path, w->original_type,
		                               w->original_in_part_header ? ", in the part's own header" : "");
		BounceOriginal *o = w->original_in_part_header ? original_from_message_header (&w->original, where)
		                                               : original_from_bytes (&w->original, where);
		Source src = { .part = &w->original, .in_part_header = w->original_in_part_header };
		if (o && take_original (b, formats, o, &src, own_readers, depth))
			return;
	}
	if (!recognised)
		family = recognise (b, formats);
	if (original_from_text (b, formats, family, b->text->str, b->text->len, "text", FALSE, own_readers, depth,
	                        quote_at))
		return;
	/* Some bouncers append the original's header to the delivery-status
	 * part itself. */
	if (report_text && original_from_text (b, formats, family, (const char *) report_text->data,
	                                       report_text->len, "delivery-status part", FALSE, own_readers, depth, NULL))
		return;
	/* The last resort, for a failure report by its structure or its
	 * wording (not by who sent it): a header block found without a
	 * pattern, so that an unknown MTA's quote is found all the same. */
	if (b->kind == BOUNCE_KIND_DSN ||
	    (b->kind == BOUNCE_KIND_NDR && (says_failure (formats, b->headers, b->text->str, b->text->len) ||
	                                    has_smtp_failure (b->text->str, b->text->len))))
		original_from_text (b, formats, -1, b->text->str, b->text->len, "text", TRUE, own_readers, depth,
		                    quote_at);
}

Bounce *
bounce_parse (const TextbounceFormats *formats, const char *data, gsize len)
{
	return bounce_parse_bytes (formats, g_bytes_new (data ? data : "", data ? len : 0), FALSE);
}

/* The reporting MTA of a bounce (bounce.h), or NULL. Returns: (transfer
 * full). */
static char *
reporting_mta (const Bounce *b)
{
	const ReceivedHop *top = b->top_hop;
	const char *name = NULL;
	if (b->report && b->report->reporting_mta && *b->report->reporting_mta)
		name = b->report->reporting_mta;
	else if (top)
		name = top->from_rdns ? top->from_rdns : top->from_helo ? top->from_helo : top->from_ip;
	return name ? g_ascii_strdown (name, -1) : NULL;
}

/* own_readers: FALSE to leave every MIME structure to GMime's parser (the
 * reference the faster readers are checked against). */
static Bounce *
parse_bytes (const TextbounceFormats *formats, GBytes *message, gboolean truncated, gboolean own_readers,
             guint depth)
{
	Bounce *b = g_new0 (Bounce, 1);
	b->notes = g_ptr_array_new_with_free_func (g_free);
	b->text = g_string_new (NULL);
	if (truncated)
		note (b, "message cut at %u bytes (NS_MAX_MESSAGE_BYTES) when it was read", NS_MAX_MESSAGE_BYTES);

	g_autoptr (GByteArray) bytes = prepare (b, message);
	gsize body = 0;
	b->headers = headers_parse_message ((const char *) bytes->data, bytes->len, &body);
	if (b->headers->dropped)
		note (b, "%u header fields past %d not kept", b->headers->dropped, NS_MAX_HEADERS);
	set_arrival (b);
	Walk w = { 0 };
	w.keep = g_ptr_array_new_with_free_func (g_object_unref);
	g_autoptr (GMimeObject) top = NULL;
	g_autoptr (MimeSplit) split = NULL;
	if (own_readers && (split = mimesplit_parse ((const char *) bytes->data, bytes->len, body)))
		walk_split (b, split, bytes, &w);
	else {
		mime_header_only (bytes, body);
		top = parse_top (bytes, FALSE);
		if (top == NULL) {
			note (b, "not parseable as a message");
			g_ptr_array_unref (w.keep);
			return b;
		}
		walk_tree (b, top, &w);
	}

	g_autoptr (GByteArray) report_text = part_ref_set (&w.report) ? decode_ref (&w.report) : NULL;
	if (report_text) {
		b->report = report_parse ((const char *) report_text->data, report_text->len);
		if (b->report) {
			b->report_where = g_strdup_printf ("MIME part %s", w.report_path);
			if (b->report->recipients_dropped)
				note (b, "%u report recipients past %d not kept",
				      b->report->recipients_dropped, NS_MAX_DSN_RECIPIENTS);
			if (report_text->len > NS_MAX_DSN_BYTES)
				note (b, "delivery-status part cut at %u bytes (NS_MAX_DSN_BYTES): "
				      "recipients past it are not counted", NS_MAX_DSN_BYTES);
		}
	}

	/* The *.formats are needed only when the MIME structure does not say
	 * what this is, or to find an inline quote: recognition is lazy. */
	int family = -1;
	if (w.report_kind != BOUNCE_KIND_NONE) {
		b->kind = w.report_kind;
		b->kind_why = g_steal_pointer (&w.report_why);
		if (b->kind == BOUNCE_KIND_MDN && part_ref_set (&w.mdn))
			mdn_rejection (b, &w.mdn);
	} else {
		family = recognise (b, formats);
		if (family >= 0) {
			b->kind = kind_from_name (textbounce_family_kind (formats, family));
			b->kind_why = g_strdup_printf ("recognised as format family %s", b->family);
			/* A provider's canned bounce may carry auto-reply headers;
			 * an auto-reply never quotes a mail server's failure. */
			if (b->kind == BOUNCE_KIND_AUTOREPLY && has_smtp_failure (b->text->str, b->text->len)) {
				b->kind = BOUNCE_KIND_NDR;
				g_free (b->kind_why);
				b->kind_why = g_strdup_printf ("recognised as format family %s, but its text holds an "
				                               "SMTP failure reply", b->family);
			}
		} else
			b->kind_why = g_strdup ("no report part and no format family recognised");
	}

	gsize quote_at = b->text->len;
	find_original (b, formats, &w, family, w.report_kind == BOUNCE_KIND_NONE, report_text, own_readers, depth,
	               &quote_at);
	/* Without a report, the bounce's own text (not the original it
	 * quotes) is all that names the failed recipient. */
	if (w.report_kind == BOUNCE_KIND_NONE && family >= 0)
		b->failed_recipient = textbounce_find_recipient (formats, family, b->headers, b->text->str,
		                                                 quote_at, &b->failed_recipient_where);
	if (b->original && b->original->received_dropped)
		note (b, "%u Received lines of the original past %d not parsed",
		      b->original->received_dropped, NS_MAX_RECEIVED_HOPS);
	if (b->original && b->original->headers->dropped)
		note (b, "%u header fields of the original past %d (NS_MAX_HEADERS) not kept",
		      b->original->headers->dropped, NS_MAX_HEADERS);
	if (b->kind != BOUNCE_KIND_NONE)
		b->reporting_mta = reporting_mta (b);

	g_free (w.original_path);
	g_free (w.original_type);
	g_free (w.report_path);
	g_free (w.report_why);
	g_ptr_array_unref (w.keep);
	return b;
}

/* Both ways in start GMime first: the header is decoded (RFC 2047,
 * charsets) before any MIME part is parsed. */
Bounce *
bounce_parse_bytes (const TextbounceFormats *formats, GBytes *message, gboolean truncated)
{
	bounce_init ();
	return parse_bytes (formats, message, truncated, TRUE, 0);
}

Bounce *
bounce_parse_reference (const TextbounceFormats *formats, const char *data, gsize len)
{
	bounce_init ();
	return parse_bytes (formats, g_bytes_new (data ? data : "", data ? len : 0), FALSE, FALSE, 0);
}

/* Compares one string fact; returns (transfer full) a description when
 * they differ. */
static char *
differ (const char *what, const char *a, gssize a_len, const char *b, gssize b_len)
{
	gsize la = a ? (a_len < 0 ? strlen (a) : (gsize) a_len) : 0;
	gsize lb = b ? (b_len < 0 ? strlen (b) : (gsize) b_len) : 0;
	if ((a == NULL) == (b == NULL) && la == lb && (la == 0 || memcmp (a, b, la) == 0))
		return NULL;
	g_autofree char *ca = a ? g_strndup (a, MIN (la, 200)) : NULL;
	g_autofree char *cb = b ? g_strndup (b, MIN (lb, 200)) : NULL;
	g_autofree char *ea = ca ? g_strescape (ca, NULL) : NULL;
	g_autofree char *eb = cb ? g_strescape (cb, NULL) : NULL;
	return g_strdup_printf ("%s: \"%s\" vs \"%s\"", what, ea ? ea : "(none)", eb ? eb : "(none)");
}

char *
bounce_diff (const Bounce *a, const Bounce *b)
{
	char *d;
#define DIFFER(what, x, y) \
	if ((d = differ ((what), (x), -1, (y), -1))) \
		return d;
	DIFFER ("kind", bounce_kind_name (a->kind), bounce_kind_name (b->kind));
	DIFFER ("kind_why", a->kind_why, b->kind_why);
	DIFFER ("family", a->family, b->family);
	DIFFER ("failed_recipient", a->failed_recipient, b->failed_recipient);
	if ((d = differ ("text", a->text->str, a->text->len, b->text->str, b->text->len)))
		return d;
	DIFFER ("report_where", a->report_where, b->report_where);
	if ((a->report == NULL) != (b->report == NULL))
		return g_strdup ("report: present in one only");
	if (a->report) {
		DIFFER ("reporting_mta", a->report->reporting_mta, b->report->reporting_mta);
		if (a->report->recipients->len != b->report->recipients->len)
			return g_strdup ("report: recipient counts differ");
		for (guint i = 0; i < a->report->recipients->len; i++) {
			const ReportRecipient *ra = a->report->recipients->pdata[i], *rb = b->report->recipients->pdata[i];
			DIFFER ("final_recipient", ra->final_recipient, rb->final_recipient);
			DIFFER ("status", ra->status, rb->status);
			DIFFER ("diagnostic", ra->diagnostic, rb->diagnostic);
		}
	}
	if ((a->original == NULL) != (b->original == NULL))
		return g_strdup_printf ("original: found in %s only", a->original ? "the first" : "the second");
	if (a->original) {
		DIFFER ("original where", a->original->where, b->original->where);
		const HeaderBlock *ha = a->original->headers, *hb = b->original->headers;
		if (ha->fields->len != hb->fields->len || ha->dropped != hb->dropped)
			return g_strdup ("original: header counts differ");
		for (guint i = 0; i < ha->fields->len; i++) {
			DIFFER ("original header name", headers_field (ha, i)->name, headers_field (hb, i)->name);
			DIFFER ("original header value", headers_value (ha, i), headers_value (hb, i));
		}
	}
	if (a->notes->len != b->notes->len)
		return g_strdup_printf ("notes: %u vs %u", a->notes->len, b->notes->len);
	for (guint i = 0; i < a->notes->len; i++)
		DIFFER ("note", a->notes->pdata[i], b->notes->pdata[i]);
#undef DIFFER
	return NULL;
}
