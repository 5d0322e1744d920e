/* headers — header blocks as name/value pairs. See include/ndrsift/headers.h. */
#include <string.h>

#include "ndrsift/headers.h"
#include "ndrsift/limits.h"

static void
field_free (gpointer data)
{
	HeaderField *f = data;
	g_free (f->name);
	g_free (f->value);
	g_free (f);
}

char *
headers_clean_value (const char *text)
{
	if (text == NULL)
		return NULL;

	gsize len = strnlen (text, NS_MAX_HEADER_VALUE);
	GString *out = g_string_sized_new (len);
	gboolean space = TRUE; /* drops leading white space */

	for (gsize i = 0; i < len; i++) {
		unsigned char c = text[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			if (!space)
				g_string_append_c (out, ' ');
			space = TRUE;
			continue;
		}
		/* Other control characters never survive: they would reach a
		 * terminal or a header. */
		g_string_append_c (out, c < 0x20 || c == 0x7f ? ' ' : (char) c);
		space = FALSE;
	}
	if (out->len > 0 && out->str[out->len - 1] == ' ')
		g_string_truncate (out, out->len - 1);

	if (!g_utf8_validate (out->str, out->len, NULL)) {
		char *valid = g_utf8_make_valid (out->str, out->len);
		g_string_free (out, TRUE);
		return valid;
	}
	return g_string_free (out, FALSE);
}

HeaderBlock *
headers_from_gmime (GMimeHeaderList *list)
{
	HeaderBlock *block = g_new0 (HeaderBlock, 1);
	int n = list ? g_mime_header_list_get_count (list) : 0;

	block->fields = g_ptr_array_new_full (MIN (n, NS_MAX_HEADERS), field_free);
	for (int i = 0; i < n; i++) {
		if (block->fields->len >= NS_MAX_HEADERS) {
			block->dropped = n - i;
			break;
		}
		GMimeHeader *h = g_mime_header_list_get_header_at (list, i);
		const char *name = g_mime_header_get_name (h);
		const char *value = g_mime_header_get_value (h);
		if (name == NULL)
			continue;
		HeaderField *f = g_new (HeaderField, 1);
		f->name = headers_clean_value (name);
		f->value = headers_clean_value (value ? value : "");
		g_ptr_array_add (block->fields, f);
	}
	return block;
}

const char *
headers_get (const HeaderBlock *block, const char *name)
{
	if (block == NULL)
		return NULL;
	for (guint i = 0; i < block->fields->len; i++) {
		HeaderField *f = g_ptr_array_index (block->fields, i);
		if (g_ascii_strcasecmp (f->name, name) == 0)
			return f->value;
	}
	return NULL;
}

GPtrArray *
headers_get_all (const HeaderBlock *block, const char *name)
{
	GPtrArray *out = g_ptr_array_new ();
	if (block == NULL)
		return out;
	for (guint i = 0; i < block->fields->len; i++) {
		HeaderField *f = g_ptr_array_index (block->fields, i);
		if (g_ascii_strcasecmp (f->name, name) == 0)
			g_ptr_array_add (out, f->value);
	}
	return out;
}

void
headers_free (HeaderBlock *block)
{
	if (block == NULL)
		return;
	g_ptr_array_unref (block->fields);
	g_free (block);
}
