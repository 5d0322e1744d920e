/* mimesplit — the common bounce's MIME structure, read as GMime reads it.
 * See src/mimesplit.h.
 *
 * What GMime 3.2's parser does, and so what is done here:
 * - a line is a boundary of a multipart when it starts with "--" and its
 *   boundary, and only blanks follow; "--boundary--" ends the multipart.
 *   The innermost open multipart is tried first, its closing form first;
 * - a part's header runs to the first empty line; a part without a
 *   Content-Type is text/plain, or message/rfc822 in a multipart/digest;
 * - a part's content ends before the line end that precedes the next
 *   boundary line, or at the end of the message;
 * - the text after a multipart's closing line, up to a boundary of the
 *   multipart around it, belongs to no part.
 * Anything these rules leave open is refused (see the header). */
#include <string.h>

#include "ndrsift/headers.h"
#include "ndrsift/limits.h"
#include "mimesplit.h"

void
mimesplit_free (MimeSplit *split)
{
	if (split == NULL)
		return;
	g_array_unref (split->parts);
	g_string_chunk_free (split->strings);
	g_free (split);
}

/* The raw values (after the colon, folds kept, no final line end) of the
 * Content-* fields that shape the structure, NULL when absent. */
typedef struct {
	const char *type, *encoding, *disposition;
	gsize type_len, encoding_len, disposition_len;
	gboolean quotes_original; /* a Received or Message-ID field */
} Fields;

/* RFC 2045 token characters: what GMime reads as a type, subtype,
 * parameter name or unquoted value. */
static gboolean
is_token_char (guchar c)
{
	return c > ' ' && c < 127 && !strchr ("()<>@,;:\\\"/[]?=", c);
}

static gboolean
is_blank (char c)
{
	return c == ' ' || c == '\t' || c == '\n'; /* a fold's line end: the next line starts blank */
}

/* Stores one field if it is one of Fields'; FALSE when it comes twice
 * (GMime reads the first for the structure and the last for the type). */
static gboolean
keep_field (Fields *f, const char *name, gsize name_len, const char *value, gsize value_len)
{
	const char **slot = NULL;
	gsize *slot_len = NULL;
	if (name_len == 12 && g_ascii_strncasecmp (name, "Content-Type", 12) == 0)
		slot = &f->type, slot_len = &f->type_len;
	else if (name_len == 25 && g_ascii_strncasecmp (name, "Content-Transfer-Encoding", 25) == 0)
		slot = &f->encoding, slot_len = &f->encoding_len;
	else if (name_len == 19 && g_ascii_strncasecmp (name, "Content-Disposition", 19) == 0)
		slot = &f->disposition, slot_len = &f->disposition_len;
	if (slot == NULL)
		return TRUE;
	if (*slot)
		return FALSE;
	*slot = value;
	*slot_len = value_len;
	return TRUE;
}

/* Reads a header from p (a line start) to its empty line. top: the
 * bounce's own header, of which GMime is given only the Content-* fields
 * (bounce.c, mime_header_only): other fields are skipped unread. A part's
 * header must be plain fields only. *after: where the content starts.
 * FALSE: refused. */
static gboolean
read_header (const char *p, const char *end, gboolean top, Fields *f, const char **after)
{
	memset (f, 0, sizeof *f);
	const char *name = NULL, *value = NULL;
	gsize name_len = 0;
	gboolean skipping = FALSE;
	for (;;) {
		if (p >= end)
			return FALSE; /* no empty line: the header is all there is */
		const char *eol = memchr (p, '\n', end - p);
		const char *next = eol ? eol + 1 : end;
		gsize n = (eol ? eol : end) - p;
		if (memchr (p, '\0', n))
			return FALSE;
		gboolean continuation = n > 0 && (p[0] == ' ' || p[0] == '\t');
		if (continuation) {
			if (skipping)
				goto next_line;
			if (name == NULL)
				return FALSE; /* a header that starts folded */
			gboolean blank = TRUE;
			for (gsize i = 0; i < n && blank; i++)
				blank = p[i] == ' ' || p[i] == '\t';
			if (blank)
				return FALSE; /* GMime may take it for the empty line */
			goto next_line;
		}
		if (name && !keep_field (f, name, name_len, value, p - 1 - value))
			return FALSE;
		name = NULL;
		if (n == 0) {
			*after = next;
			return eol != NULL;
		}
		skipping = top && !(n + 1 > 8 && g_ascii_strncasecmp (p, "Content-", 8) == 0);
		if (skipping)
			goto next_line;
		if (p[0] == '-')
			return FALSE; /* a boundary line where a field was expected */
		name_len = headers_field_name_len (p, n, FALSE);
		if (name_len == 0)
			return FALSE;
		if ((name_len == 8 && g_ascii_strncasecmp (p, "Received", 8) == 0) ||
		    (name_len == 10 && g_ascii_strncasecmp (p, "Message-ID", 10) == 0))
			f->quotes_original = TRUE;
		name = p;
		value = p + name_len + 1;
	next_line:
		if (eol == NULL)
			return FALSE;
		p = next;
	}
}

/* A parameter list as GMime reads it, refused (FALSE) where it would have
 * to think: a comment, a backslash, an RFC 2231 name (name*), an encoded
 * word, a value that is neither a token nor a quoted string, a name given
 * twice, a fold inside quotes, a control or 8-bit byte. Each wanted[i]
 * name found sets found[i] to its value, copied into strings. */
#define MAX_PARAMS 16
static gboolean
read_params (const char *p, const char *end, GStringChunk *strings,
             const char *const *wanted, const char **found, guint n_wanted)
{
	const char *seen[MAX_PARAMS];
	gsize seen_len[MAX_PARAMS];
	guint n_seen = 0;
	for (;;) {
		while (p < end && is_blank (*p))
			p++;
		if (p == end)
			return TRUE;
		if (*p++ != ';')
			return FALSE;
		while (p < end && is_blank (*p))
			p++;
		if (p == end)
			return TRUE; /* a trailing ";" */
		const char *name = p;
		while (p < end && is_token_char (*p) && *p != '*')
			p++;
		gsize name_len = p - name;
		while (p < end && is_blank (*p))
			p++;
		if (name_len == 0 || p == end || *p++ != '=')
			return FALSE;
		while (p < end && is_blank (*p))
			p++;
		const char *value;
		gsize value_len;
		if (p < end && *p == '"') {
			value = ++p;
			while (p < end && *p != '"' && *p >= ' ' && *p < 127 && *p != '\\')
				p++;
			if (p == end || *p != '"')
				return FALSE;
			value_len = p++ - value;
		} else {
			value = p;
			while (p < end && is_token_char (*p))
				p++;
			value_len = p - value;
			if (value_len == 0)
				return FALSE;
		}
		if (g_strstr_len (value, value_len, "=?"))
			return FALSE;
		for (guint i = 0; i < n_seen; i++)
			if (seen_len[i] == name_len && g_ascii_strncasecmp (seen[i], name, name_len) == 0)
				return FALSE;
		if (n_seen == MAX_PARAMS)
			return FALSE;
		seen[n_seen] = name;
		seen_len[n_seen++] = name_len;
		for (guint i = 0; i < n_wanted; i++)
			if (strlen (wanted[i]) == name_len && g_ascii_strncasecmp (wanted[i], name, name_len) == 0)
				found[i] = g_string_chunk_insert_len (strings, value, value_len);
	}
}

/* Reads a token after optional blanks; NULL when there is none. */
static const char *
read_token (const char **p, const char *end, gsize *len)
{
	while (*p < end && is_blank (**p))
		(*p)++;
	const char *start = *p;
	while (*p < end && is_token_char (**p))
		(*p)++;
	*len = *p - start;
	return *len ? start : NULL;
}

/* What a part's Content-* fields say. */
typedef struct {
	const char *type, *subtype, *boundary, *report_type, *filename;
	GMimeContentEncoding encoding;
} PartInfo;

enum { P_BOUNDARY, P_REPORT_TYPE, P_NAME };

static gboolean
read_part_info (const Fields *f, gboolean digest, GStringChunk *strings, PartInfo *info)
{
	memset (info, 0, sizeof *info);
	const char *name = NULL;
	if (f->type == NULL) {
		info->type = digest ? "message" : "text";
		info->subtype = digest ? "rfc822" : "plain";
	} else {
		const char *p = f->type, *end = f->type + f->type_len;
		gsize type_len, subtype_len;
		const char *type = read_token (&p, end, &type_len);
		while (p < end && is_blank (*p))
			p++;
		if (type == NULL || p == end || *p++ != '/')
			return FALSE;
		const char *subtype = read_token (&p, end, &subtype_len);
		if (subtype == NULL)
			return FALSE;
		static const char *const wanted[] = { [P_BOUNDARY] = "boundary",
			                              [P_REPORT_TYPE] = "report-type", [P_NAME] = "name" };
		const char *found[G_N_ELEMENTS (wanted)] = { NULL };
		if (!read_params (p, end, strings, wanted, found, G_N_ELEMENTS (wanted)))
			return FALSE;
		info->type = g_string_chunk_insert_len (strings, type, type_len);
		info->subtype = g_string_chunk_insert_len (strings, subtype, subtype_len);
		info->boundary = found[P_BOUNDARY];
		info->report_type = found[P_REPORT_TYPE];
		name = found[P_NAME];
	}

	if (g_ascii_strcasecmp (info->type, "multipart") == 0) {
		/* No boundary: GMime keeps all in the prologue, and the walk
		 * looks for the one really used. A space: "From " is GMime's
		 * mbox boundary, and trailing blanks are not part of a line's. */
		const char *b = info->boundary;
		return b && b[0] && strlen (b) <= NS_MAX_SPLIT_BOUNDARY && !strchr (b, ' ');
	}
	/* GMime makes other message/ types message parts, which the walk
	 * does not read; bounce_init makes these leaf parts. */
	if (g_ascii_strcasecmp (info->type, "message") == 0) {
		static const char *const leaf[] = {
			"rfc822", "rfc2822", "global", "news", "partial", "delivery-status",
			"global-delivery-status", "disposition-notification",
			"global-disposition-notification", "feedback-report", "global-headers",
			"rfc822-headers", "rfc822-header",
		};
		gboolean known = FALSE;
		for (guint i = 0; i < G_N_ELEMENTS (leaf) && !known; i++)
			known = g_ascii_strcasecmp (info->subtype, leaf[i]) == 0;
		if (!known)
			return FALSE;
	}

	info->encoding = GMIME_CONTENT_ENCODING_DEFAULT;
	if (f->encoding) {
		const char *p = f->encoding, *end = f->encoding + f->encoding_len;
		gsize n;
		const char *token = read_token (&p, end, &n);
		while (p < end && is_blank (*p))
			p++;
		if (token == NULL || p != end)
			return FALSE;
		g_autofree char *value = g_strndup (token, n);
		info->encoding = g_mime_content_encoding_from_string (value);
		if (info->encoding == GMIME_CONTENT_ENCODING_UUENCODE)
			return FALSE;
	}

	const char *filename = NULL;
	if (f->disposition) {
		const char *p = f->disposition, *end = f->disposition + f->disposition_len;
		gsize n;
		static const char *const wanted[] = { "filename" };
		if (read_token (&p, end, &n) == NULL ||
		    !read_params (p, end, strings, wanted, &filename, 1))
			return FALSE;
	}
	info->filename = filename ? filename : name;
	return TRUE;
}

/* One open multipart. */
typedef struct {
	const char *boundary;
	gsize boundary_len;
	const char *path;   /* NULL for the top */
	guint children;
	gboolean digest;
} Level;

enum { LINE_NONE = -1, LINE_REFUSED = -2 };

/* Whether line p (n bytes, no line end) is "--" boundary, "--" closing
 * form when final, with only blanks after: 1 yes, 0 no, -1 refused (a
 * vertical tab or form feed after it, which GMime's blank test may take
 * either way). */
static int
is_boundary (const char *p, gsize n, const Level *level, gboolean final)
{
	gsize need = 2 + level->boundary_len + (final ? 2 : 0);
	if (n < need || memcmp (p + 2, level->boundary, level->boundary_len) != 0 ||
	    (final && (p[need - 2] != '-' || p[need - 1] != '-')))
		return 0;
	int verdict = 1;
	for (gsize i = need; i < n; i++) {
		if (p[i] == '\v' || p[i] == '\f')
			verdict = -1;
		else if (p[i] != ' ' && p[i] != '\t')
			return 0;
	}
	return verdict;
}

/* Which open multipart's boundary line p is, innermost first (GMime's
 * order), or LINE_NONE / LINE_REFUSED; *final: its closing form. */
static int
match_line (const Level *levels, int top, const char *p, gsize n, gboolean *final)
{
	if (n < 2 || p[0] != '-' || p[1] != '-')
		return LINE_NONE;
	for (int i = top; i >= 0; i--) {
		for (int closing = 1; closing >= 0; closing--) {
			int r = is_boundary (p, n, &levels[i], closing);
			if (r < 0)
				return LINE_REFUSED;
			if (r > 0) {
				*final = closing;
				return i;
			}
		}
	}
	return LINE_NONE;
}

/* The next boundary line at or after *p (a line start): returns its level
 * (LINE_NONE at the end of the message), sets *line to its start and *p
 * past its line end (NULL when it has none). */
static int
next_boundary (const char **p, const char *end, const Level *levels, int top,
               const char **line, gboolean *final)
{
	const char *q = *p;
	while (q && q < end) {
		const char *eol = memchr (q, '\n', end - q);
		int level = match_line (levels, top, q, (eol ? eol : end) - q, final);
		if (level != LINE_NONE) {
			*line = q;
			*p = eol ? eol + 1 : NULL;
			return level;
		}
		q = eol ? eol + 1 : NULL;
	}
	return LINE_NONE;
}

static MimeSplitPart *
add_part (MimeSplit *split, guint depth, const char *path, const PartInfo *info)
{
	MimeSplitPart part = {
		.depth = depth,
		.path = path,
		.multipart = g_ascii_strcasecmp (info->type, "multipart") == 0,
		.type = info->type,
		.subtype = info->subtype,
		.encoding = info->encoding,
	};
	if (part.multipart)
		part.report_type = info->report_type;
	else
		part.filename = info->filename;
	g_array_append_val (split->parts, part);
	return &g_array_index (split->parts, MimeSplitPart, split->parts->len - 1);
}

/* Opens a multipart level for info; FALSE past the depth the walk visits. */
static gboolean
push_level (Level *levels, int *top, const PartInfo *info, const char *path, guint depth)
{
	if (depth + 1 >= NS_MAX_MIME_DEPTH)
		return FALSE; /* the walk notes the bound: leave it to GMime */
	Level *l = &levels[++*top];
	l->boundary = info->boundary;
	l->boundary_len = strlen (info->boundary);
	l->path = path;
	l->children = 0;
	l->digest = g_ascii_strcasecmp (info->subtype, "digest") == 0;
	return TRUE;
}

/* The path of the next part of l: "3", or "2.3" inside part 2. */
static const char *
next_path (MimeSplit *split, Level *l)
{
	char path[32 * NS_MAX_MIME_DEPTH];
	if (l->path)
		g_snprintf (path, sizeof path, "%s.%u", l->path, ++l->children);
	else
		g_snprintf (path, sizeof path, "%u", ++l->children);
	return g_string_chunk_insert (split->strings, path);
}

MimeSplit *
mimesplit_parse (const char *data, gsize len, gsize body)
{
	if (data == NULL || body > len)
		return NULL;
	const char *end = data + len;
	g_autoptr (MimeSplit) split = g_new0 (MimeSplit, 1);
	split->parts = g_array_sized_new (FALSE, FALSE, sizeof (MimeSplitPart), 8);
	split->strings = g_string_chunk_new (256);

	Fields f;
	PartInfo info;
	const char *p;
	if (!read_header (data, data + body, TRUE, &f, &p) || p != data + body ||
	    !read_part_info (&f, FALSE, split->strings, &info))
		return NULL;
	MimeSplitPart *single = add_part (split, 0, NULL, &info);
	if (!single->multipart) {
		/* One part, the body its content (a third of real bounces). */
		single->start = body;
		single->len = len - body;
		return g_steal_pointer (&split);
	}

	Level levels[NS_MAX_MIME_DEPTH];
	int top = -1;
	if (!push_level (levels, &top, &info, NULL, 0))
		return NULL;

	/* p is always a line start: in a prologue (of levels[top], just
	 * opened), after a boundary line of levels[top] (a part follows), or
	 * in an epilogue (after the closing line of the level above top). */
	enum { PROLOGUE, PART, EPILOGUE } state = PROLOGUE;
	const char *line;
	gboolean final;
	for (;;) {
		int level;
		if (state == PROLOGUE) {
			level = next_boundary (&p, end, levels, top, &line, &final);
			if (level != top || final || p == NULL)
				return NULL; /* no part, or an outer boundary first */
			state = PART;
			continue;
		}
		if (state == EPILOGUE) {
			level = next_boundary (&p, end, levels, top, &line, &final);
			if (level == LINE_NONE)
				return g_steal_pointer (&split);
			if (level < 0)
				return NULL;
		} else {
			if (split->parts->len >= NS_MAX_MIME_PARTS)
				return NULL; /* the walk notes the bound: leave it to GMime */
			const char *path = next_path (split, &levels[top]);
			const char *header = p, *content;
			if (!read_header (p, end, FALSE, &f, &content) ||
			    !read_part_info (&f, levels[top].digest, split->strings, &info))
				return NULL;
			guint depth = (guint) top + 1;
			MimeSplitPart *part = add_part (split, depth, path, &info);
			p = content;
			if (part->multipart) {
				if (!push_level (levels, &top, &info, path, depth))
					return NULL;
				state = PROLOGUE;
				continue;
			}
			part->header_is_original = f.quotes_original;
			part->header_start = header - data;
			part->header_len = content - header;
			part->start = content - data;
			level = next_boundary (&p, end, levels, top, &line, &final);
			if (level == LINE_NONE) {
				part->len = end - content; /* cut short: the rest is the content */
				return g_steal_pointer (&split);
			}
			/* An empty content ends before it starts, to GMime. */
			if (level < 0 || line == content)
				return NULL;
			part->len = line - 1 - content;
		}
		/* A boundary line of levels[level]: it closes the multiparts
		 * inside that one, which never had their own closing line. */
		top = level;
		if (!final) {
			if (p == NULL)
				return NULL; /* the message ends on it */
			state = PART;
			continue;
		}
		if (--top < 0 || p == NULL)
			return g_steal_pointer (&split); /* the rest belongs to no part */
		state = EPILOGUE;
	}
}
