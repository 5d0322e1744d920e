/* output — values made safe to print. See src/output.h. */
#include <string.h>

#include "output.h"

/* Valid UTF-8, control characters as \xNN or \uNNNN; CR and LF kept when
 * keep_breaks (CSV quotes them). */
static char *
escape_controls (const char *text, gboolean keep_breaks)
{
	g_autofree char *valid = g_utf8_make_valid (text, -1);
	GString *out = g_string_sized_new (strlen (valid));
	for (const unsigned char *p = (const unsigned char *) valid; *p; p++) {
		if (keep_breaks && (*p == '\r' || *p == '\n'))
			g_string_append_c (out, (char) *p);
		else if (*p < 0x20 || *p == 0x7f)
			g_string_append_printf (out, "\\x%02x", *p);
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) /* C1 controls */
			g_string_append_printf (out, "\\u%04x", *++p);
		else
			g_string_append_c (out, (char) *p);
	}
	return g_string_free (out, FALSE);
}

char *
output_escape (const char *text)
{
	if (text == NULL)
		return g_strdup ("-");
	return escape_controls (text, FALSE);
}

void
output_csv_field (GString *out, const char *value)
{
	if (value == NULL)
		return;
	/* Any control character but a line break (quoted, RFC 4180) is
	 * escaped: the ESC of a file name must not reach a terminal. */
	g_autofree char *valid = escape_controls (value, TRUE);
	gsize len = strlen (valid);
	gboolean quote = strpbrk (valid, ",\"\r\n") != NULL
		|| (len && (g_ascii_isspace (valid[0]) || g_ascii_isspace (valid[len - 1])));
	if (!quote) {
		g_string_append (out, valid);
		return;
	}
	g_string_append_c (out, '"');
	for (const char *p = valid; *p; p++) {
		if (*p == '"')
			g_string_append_c (out, '"');
		g_string_append_c (out, *p);
	}
	g_string_append_c (out, '"');
}
