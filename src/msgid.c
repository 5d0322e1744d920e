/* msgid — one normal form of a Message-ID. See src/msgid.h.
 *
 * The reader is lenient where real ids are (a local part of any printable
 * characters but the few that give RFC 5322 its structure, dots anywhere)
 * and strict where a guess could join two different ids: one id, balanced
 * brackets, quotes and comments, nothing after it but comments. */
#include <string.h>

#include "msgid.h"

/* Skips folding white space and comments (nested, with quoted pairs);
 * FALSE when a comment is never closed. */
static gboolean
skip_cfws (const char **p)
{
	const char *s = *p;
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (*s != '(')
			break;
		gsize depth = 0;
		do {
			if (*s == '\0')
				return FALSE;
			if (*s == '\\') {
				if (*++s == '\0')
					return FALSE;
			} else if (*s == '(')
				depth++;
			else if (*s == ')')
				depth--;
			s++;
		} while (depth > 0);
	}
	*p = s;
	return TRUE;
}

/* A character of an unquoted local part or domain: printable, not one
 * that RFC 5322 gives a structure (brackets, comments, quotes, "@"), and
 * in a domain no "[" or "]" (a literal is read on its own). 8-bit bytes
 * count as text (RFC 6532). */
static gboolean
is_text (guchar c, gboolean domain)
{
	switch (c) {
	case '<': case '>': case '(': case ')': case '"': case '\\': case '@':
		return FALSE;
	case '[': case ']':
		return !domain;
	default:
		return c > ' ' && c != 0x7f;
	}
}

/* Reads words, dots and CFWS into out: quoted strings (local part only)
 * unquoted, CFWS dropped. Two words with no dot between them are no
 * single local part or domain. Returns FALSE on garbage. */
static gboolean
read_dotted (const char **p, GString *out, gboolean domain)
{
	const char *s = *p;
	gboolean after_word = FALSE;
	for (;;) {
		if (!skip_cfws (&s))
			return FALSE;
		if (*s == '"' && !domain) {
			if (after_word)
				return FALSE;
			for (s++; *s != '"'; s++) {
				if (*s == '\0' || (*s == '\\' && *++s == '\0'))
					return FALSE;
				g_string_append_c (out, *s);
			}
			s++;
			after_word = TRUE;
		} else if (is_text (*s, domain)) {
			if (after_word && *s != '.')
				return FALSE;
			const char *run = s;
			while (is_text (*s, domain))
				s++;
			g_string_append_len (out, run, s - run);
			after_word = s[-1] != '.';
		} else
			break;
	}
	*p = s;
	return TRUE;
}

/* A domain literal "[...]": folding white space dropped, quoted pairs
 * kept as their character. */
static gboolean
read_literal (const char **p, GString *out)
{
	const char *s = *p + 1;
	g_string_append_c (out, '[');
	for (; *s != ']'; s++) {
		if (*s == '\\' && *++s == '\0')
			return FALSE;
		if (*s == '\0' || *s == '[')
			return FALSE;
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			g_string_append_c (out, *s);
	}
	g_string_append_c (out, ']');
	*p = s + 1;
	return TRUE;
}

/* Whether a local part must be written as a quoted string. */
static gboolean
needs_quotes (const GString *local)
{
	for (gsize i = 0; i < local->len; i++)
		if (!is_text (local->str[i], FALSE))
			return TRUE;
	return FALSE;
}

/* The common form, "<local@domain>" or "local@domain" with blanks around
 * and nothing to unquote or drop: read in one pass, one allocation.
 * Returns: NULL when the value is not of that form (or is garbage). */
static char *
normalise_plain (const char *value)
{
	const char *p = value;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	gboolean bracketed = *p == '<';
	const char *local = p + bracketed, *at = local;
	while (is_text (*at, FALSE))
		at++;
	if (at == local || *at != '@')
		return NULL;
	const char *domain = at + 1, *end = domain;
	while (is_text (*end, TRUE))
		end++;
	if (end == domain)
		return NULL;
	const char *q = end;
	if (bracketed && *q++ != '>')
		return NULL;
	while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
		q++;
	if (*q != '\0')
		return NULL;
	char *out = g_strndup (local, end - local);
	for (char *d = out + (domain - local); *d; d++)
		*d = g_ascii_tolower (*d);
	return out;
}

char *
msgid_normalise (const char *value)
{
	if (value == NULL)
		return NULL;
	char *plain = normalise_plain (value);
	if (plain)
		return plain;
	const char *p = value;
	if (!skip_cfws (&p))
		return NULL;
	gboolean bracketed = *p == '<';
	p += bracketed;

	g_autoptr (GString) local = g_string_new (NULL);
	g_autoptr (GString) domain = g_string_new (NULL);
	if (!read_dotted (&p, local, FALSE) || local->len == 0)
		return NULL;
	gboolean has_domain = *p == '@';
	if (has_domain) {
		p++;
		if (!skip_cfws (&p))
			return NULL;
		if (*p == '[' ? !read_literal (&p, domain) || !skip_cfws (&p)
		              : !read_dotted (&p, domain, TRUE))
			return NULL;
		if (domain->len == 0)
			return NULL;
	}
	if (bracketed && *p++ != '>')
		return NULL;
	if (!skip_cfws (&p) || *p != '\0')
		return NULL;

	GString *out = g_string_sized_new (local->len + domain->len + 4);
	if (needs_quotes (local)) {
		g_string_append_c (out, '"');
		for (gsize i = 0; i < local->len; i++) {
			if (local->str[i] == '"' || local->str[i] == '\\')
				g_string_append_c (out, '\\');
			g_string_append_c (out, local->str[i]);
		}
		g_string_append_c (out, '"');
	} else
		g_string_append_len (out, local->str, local->len);
	if (has_domain) {
		g_string_append_c (out, '@');
		for (gsize i = 0; i < domain->len; i++)
			g_string_append_c (out, g_ascii_tolower (domain->str[i]));
	}
	return g_string_free (out, FALSE);
}

const char *
msgid_normal_domain (const char *normal)
{
	/* A quoted local part may hold "@"; a domain never holds '"'. */
	const char *at = normal ? strrchr (normal, '@') : NULL;
	return at && !strchr (at, '"') ? at + 1 : NULL;
}
