/* headers — header blocks as name/value pairs. See include/ndrsift/headers.h.
 *
 * Decoding is the expensive part of a header, and most values (Received,
 * DKIM-Signature, X-...) are plain ASCII: only a value holding an encoded
 * word, an 8-bit byte or an ESC (ISO-2022) goes through GMime's decoder;
 * the others are only unfolded. */
#include <string.h>

#include "ndrsift/headers.h"
#include "ndrsift/limits.h"

/* Appends text cleaned (see headers_clean_value) to out. */
static void
clean_into (GString *out, const char *text, gsize len)
{
	gboolean space = TRUE, ascii = TRUE; /* space drops leading white space */
	gsize start = out->len;

	len = MIN (len, NS_MAX_HEADER_VALUE);
	g_string_set_size (out, start + len);
	char *o = out->str + start;
	for (gsize i = 0; i < len; i++) {
		unsigned char c = text[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			if (!space)
				*o++ = ' ';
			space = TRUE;
			continue;
		}
		/* Other control characters never survive: they would reach a
		 * terminal or a header. NUL ends nothing here either. (C1
		 * controls are multi-byte in UTF-8: handled below.) */
		*o++ = c < 0x20 || c == 0x7f ? ' ' : (char) c;
		ascii &= c < 0x80;
		space = FALSE;
	}
	if (o > out->str + start && o[-1] == ' ')
		o--;
	g_string_truncate (out, o - out->str);

	if (!ascii) {
		if (!g_utf8_validate (out->str + start, out->len - start, NULL)) {
			g_autofree char *valid = g_utf8_make_valid (out->str + start, out->len - start);
			g_string_truncate (out, start);
			g_string_append (out, valid);
		}
		/* C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F) include CSI
		 * and NEL: a terminal or a line splitter acts on them too. */
		for (gsize i = start; i + 1 < out->len; i++)
			if ((guint8) out->str[i] == 0xc2 && (guint8) out->str[i + 1] >= 0x80 &&
			    (guint8) out->str[i + 1] <= 0x9f) {
				g_string_erase (out, i, 1);
				out->str[i] = ' ';
			}
	}
	/* U+FFFD is 3 bytes: a value of invalid bytes grows. The bound holds
	 * for the result, cut at a character boundary. */
	if (out->len - start > NS_MAX_HEADER_VALUE) {
		const char *limit = out->str + start + NS_MAX_HEADER_VALUE;
		const char *cut = g_utf8_find_prev_char (out->str + start, limit + 1);
		g_string_truncate (out, (cut ? cut : limit) - out->str);
	}
}

char *
headers_clean_value (const char *text)
{
	if (text == NULL)
		return NULL;
	GString *out = g_string_sized_new (64);
	clean_into (out, text, strnlen (text, NS_MAX_HEADER_VALUE));
	return g_string_free (out, FALSE);
}

/* glibc loads the converter of a charset outside its core (ISO-2022-JP,
 * ISO-8859-15, ...) as a module and unloads it when its last descriptor
 * closes; GMime opens and closes one per encoded word, so each such word
 * cost a dlopen and a dlclose, and in a process with threads every
 * mapping they change is a TLB shootdown on every core. One descriptor
 * per charset named in an encoded word, opened on first sight and kept
 * for the life of the process, keeps its module loaded. At most
 * NS_MAX_PINNED_CHARSETS names are remembered, failures included. */
static void
pin_charsets (const char *value)
{
	static GMutex lock;
	static GHashTable *pinned; /* charset name -> iconv_t (or NULL: none) */

	for (const char *p = strstr (value, "=?"); p; p = strstr (p + 2, "=?")) {
		const char *name = p + 2, *end = name;
		/* *end first: strchr finds the terminating NUL too */
		while (*end && (g_ascii_isalnum (*end) || strchr ("-_.:", *end)) && end - name <= NS_MAX_CHARSET_NAME)
			end++;
		/* "=?charset?" or "=?charset*lang?" (RFC 2231) */
		if (end == name || end - name > NS_MAX_CHARSET_NAME || (*end != '?' && *end != '*'))
			continue;
		g_autofree char *charset = g_ascii_strdown (name, end - name);
		g_mutex_lock (&lock);
		if (pinned == NULL)
			pinned = g_hash_table_new (g_str_hash, g_str_equal); /* lives as long as the process */
		if (!g_hash_table_contains (pinned, charset) && g_hash_table_size (pinned) < NS_MAX_PINNED_CHARSETS) {
			iconv_t cd = g_mime_iconv_open ("UTF-8", charset);
			g_hash_table_insert (pinned, g_steal_pointer (&charset), cd == (iconv_t) -1 ? NULL : cd);
		}
		g_mutex_unlock (&lock);
	}
}

/* One scratch string per thread for cleaning and decoding (made per
 * value it was two allocations for every field read), emptied by each
 * user; it grows to the longest value cleaned, a few times
 * NS_MAX_HEADER_VALUE at most. */
static void
scratch_free (gpointer data)
{
	g_string_free (data, TRUE);
}

static GPrivate thread_scratch = G_PRIVATE_INIT (scratch_free);

static GString *
scratch_get (void)
{
	GString *s = g_private_get (&thread_scratch);
	if (s == NULL) {
		s = g_string_sized_new (1024);
		g_private_set (&thread_scratch, s);
	}
	return s;
}

/* Unfolds, decodes when needed, cleans into scratch (emptied first). */
static void
decode_into (GString *scratch, const char *raw, gsize len)
{
	gboolean plain = TRUE;
	for (gsize i = 0; i < len && plain; i++) {
		unsigned char c = raw[i];
		plain = c < 0x80 && c != 0x1b && !(c == '=' && i + 1 < len && raw[i + 1] == '?');
	}
	g_string_truncate (scratch, 0);
	clean_into (scratch, raw, len);
	if (plain)
		return;
	/* Unfolded first, so that an encoded word split across lines still
	 * decodes; GMime converts 8-bit text from the likely charset. */
	pin_charsets (scratch->str);
	g_autofree char *decoded = g_mime_utils_header_decode_text (NULL, scratch->str);
	if (decoded) {
		g_string_truncate (scratch, 0);
		clean_into (scratch, decoded, strlen (decoded));
	}
}

static HeaderBlock *
block_new (guint size)
{
	HeaderBlock *block = g_new0 (HeaderBlock, 1);
	block->fields = g_array_sized_new (FALSE, FALSE, sizeof (HeaderField), MIN (size, NS_MAX_HEADERS));
	block->strings = g_string_chunk_new (1024);
	return block;
}

static void
block_add (HeaderBlock *block, GString *scratch, const char *name, gsize name_len,
           const char *raw, gsize raw_len)
{
	if (block->fields->len >= NS_MAX_HEADERS) {
		block->dropped++;
		return;
	}
	HeaderField f = { 0 };
	g_string_truncate (scratch, 0);
	clean_into (scratch, name, MIN (name_len, 256));
	f.name = g_string_chunk_insert_len (block->strings, scratch->str, scratch->len);
	f.raw_len = MIN (raw_len, NS_MAX_HEADER_VALUE);
	f.raw = g_string_chunk_insert_len (block->strings, raw, f.raw_len);
	g_array_append_val (block->fields, f);
}

const char *
headers_value (const HeaderBlock *block, guint i)
{
	HeaderField *f = headers_field (block, i);
	if (f->value == NULL) {
		GString *scratch = scratch_get ();
		decode_into (scratch, f->raw, f->raw_len);
		/* The chunk belongs to the block: decoding fills in a cache. */
		f->value = g_string_chunk_insert_len (block->strings, scratch->str, scratch->len);
	}
	return f->value;
}

HeaderBlock *
headers_from_gmime (GMimeHeaderList *list)
{
	int n = list ? g_mime_header_list_get_count (list) : 0;
	HeaderBlock *block = block_new (n);
	GString *scratch = scratch_get ();

	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at (list, i);
		const char *name = g_mime_header_get_name (h);
		const char *raw = g_mime_header_get_raw_value (h);
		if (name)
			block_add (block, scratch, name, strlen (name), raw ? raw : "", raw ? strlen (raw) : 0);
	}
	return block;
}

gsize
headers_field_name_len (const char *line, gsize n, gboolean blanks)
{
	/* Printable ASCII without blanks: this rules out "From " lines and
	 * prose with a colon. */
	gsize k = 0;
	while (k < n && (guchar) line[k] > ' ' && (guchar) line[k] < 127 && line[k] != ':')
		k++;
	gsize colon = k;
	while (blanks && colon < n && (line[colon] == ' ' || line[colon] == '\t'))
		colon++;
	return k > 0 && colon < n && line[colon] == ':' ? k : 0;
}

/* Parses fields up to the first blank line or the end; *body is where
 * the text after that blank line starts (len when there is none). */
static HeaderBlock *
parse_block (const char *text, gsize len, gsize *body)
{
	HeaderBlock *block = block_new (16);
	GString *scratch = scratch_get ();
	const char *p = text, *end = text ? text + len : NULL;
	const char *name = NULL, *value = NULL;
	gsize name_len = 0;

	while (p && p < end) {
		const char *eol = memchr (p, '\n', end - p);
		const char *next = eol ? eol + 1 : end;
		gsize n = (eol ? eol : end) - p;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		gboolean continuation = n > 0 && (p[0] == ' ' || p[0] == '\t');
		if (!continuation && name) {
			/* The field ends where this line starts. */
			block_add (block, scratch, name, name_len, value, p - value);
			name = NULL;
		}
		if (n == 0) {
			p = next; /* the blank line that ends a header */
			break;
		}
		if (!continuation) {
			gsize k = headers_field_name_len (p, n, TRUE);
			if (k > 0) {
				name = p;
				name_len = k;
				value = (const char *) memchr (p, ':', n) + 1;
			}
		}
		p = next;
	}
	if (name)
		block_add (block, scratch, name, name_len, value, p - value);
	*body = p ? (gsize) (p - text) : 0;
	return block;
}

HeaderBlock *
headers_parse_block (const char *text, gsize len)
{
	gsize body;
	return parse_block (text, len, &body);
}

HeaderBlock *
headers_parse_message (const char *text, gsize len, gsize *body)
{
	/* A message cut before its header (a truncated bounce, a body saved
	 * alone) starts with text: when no line up to the first blank one is
	 * a field, there is no header, and that text is the body's. */
	for (const char *p = text, *end = text ? text + len : NULL; p && p < end; ) {
		const char *eol = memchr (p, '\n', end - p);
		gsize n = (eol ? eol : end) - p;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0 && p == text)
			return parse_block (text, len, body); /* an empty header, then the body */
		if (n == 0)
			break;
		if (headers_field_name_len (p, n, TRUE) > 0)
			return parse_block (text, len, body);
		p = eol ? eol + 1 : NULL;
	}
	*body = 0;
	return block_new (0);
}

const char *
headers_get (const HeaderBlock *block, const char *name)
{
	if (block == NULL)
		return NULL;
	for (guint i = 0; i < block->fields->len; i++) {
		if (g_ascii_strcasecmp (headers_field (block, i)->name, name) == 0)
			return headers_value (block, i);
	}
	return NULL;
}

const char *
headers_get_raw (const HeaderBlock *block, const char *name, gsize *len)
{
	for (guint i = 0; block && i < block->fields->len; i++) {
		const HeaderField *f = headers_field (block, i);
		if (g_ascii_strcasecmp (f->name, name) == 0) {
			*len = f->raw_len;
			return f->raw;
		}
	}
	*len = 0;
	return NULL;
}

GPtrArray *
headers_get_all (const HeaderBlock *block, const char *name)
{
	GPtrArray *out = g_ptr_array_new ();
	if (block == NULL)
		return out;
	for (guint i = 0; i < block->fields->len; i++) {
		if (g_ascii_strcasecmp (headers_field (block, i)->name, name) == 0)
			g_ptr_array_add (out, (char *) headers_value (block, i));
	}
	return out;
}

void
headers_free (HeaderBlock *block)
{
	if (block == NULL)
		return;
	g_array_unref (block->fields);
	g_string_chunk_free (block->strings);
	g_free (block);
}

/* The address of a value that is only "a@b", "<a@b>" or "Name <a@b>",
 * with no character RFC 5322 gives a meaning to (quotes, comments, groups,
 * lists, encoded words, domain literals) and no IDN label, which GMime
 * would decode: for these GMime's answer is known, and asking it costs
 * two GObjects. NULL: ask GMime. */
static char *
simple_address (const char *value)
{
	const char *open = NULL, *close = NULL;
	for (const char *p = value; *p; p++) {
		unsigned char c = *p;
		if (c < 0x20 || c >= 0x7f || strchr ("\"(),:;[]\\", c) || (c == '=' && p[1] == '?'))
			return NULL;
		if (c == '<') {
			if (open)
				return NULL;
			open = p;
		} else if (c == '>') {
			if (close || !open)
				return NULL;
			close = p;
		}
	}
	const char *a = value, *e = value + strlen (value);
	if (open) {
		if (close == NULL)
			return NULL;
		for (const char *p = close + 1; *p; p++)
			if (*p != ' ' && *p != '\t')
				return NULL;
		a = open + 1;
		e = close;
	} else {
		while (*a == ' ' || *a == '\t')
			a++;
		while (e > a && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
	}
	const char *at = NULL;
	for (const char *p = a; p < e; p++) {
		if (*p == ' ' || *p == '\t' || (*p == '.' && p + 1 < e && p[1] == '.'))
			return NULL;
		if (*p == '@') {
			if (at)
				return NULL;
			at = p;
		}
	}
	if (at == NULL || at == a || at + 1 == e || *a == '.' || at[-1] == '.' || at[1] == '.' || e[-1] == '.')
		return NULL;
	for (const char *p = at; p + 4 <= e; p++)
		if (g_ascii_strncasecmp (p, "xn--", 4) == 0)
			return NULL;
	return g_strndup (a, e - a);
}

char *
headers_first_address (const char *value)
{
	if (value == NULL)
		return NULL;
	char *simple = simple_address (value);
	if (simple)
		return simple;
	g_autoptr (InternetAddressList) list = internet_address_list_parse (NULL, value);
	for (int i = 0; list && i < internet_address_list_length (list); i++) {
		InternetAddress *a = internet_address_list_get_address (list, i);
		if (INTERNET_ADDRESS_IS_MAILBOX (a))
			return g_strdup (internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (a)));
	}
	return NULL;
}
