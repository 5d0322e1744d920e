/* fuzz-formats — the *.formats parser (textbounce_formats_parse: family,
 * subject, from, header, body, separator and first-header directives and
 * their /re/flags patterns) and, when a file loads, what the parser does
 * with it: textbounce_identify() and textbounce_find_original() over the
 * header and text of four sample bounces (the quote is parsed into a
 * header block, as bounce.c does).
 *
 * The input is one file's text. Limits that apply: NS_MAX_RULE_LINE,
 * NS_MAX_FORMAT_PATTERNS, NS_MAX_FORMAT_BODY_BYTES, NS_MAX_MARKER_MATCHES,
 * NS_MAX_INLINE_HEADER_LINES and the PCRE2 limits. An error must name
 * file:line (doc/design.md): a message without the location aborts. */
#include <gmime/gmime.h>

#include "fuzz-common.h"
#include "ndrsift/bounce.h"
#include "ndrsift/headers.h"
#include "textbounce.h"

/* Plain-text bounces that quote inline (with and without "> ") and one
 * that is not a bounce at all. */
static const char *const samples[] = {
	"samples/bounces/exim-01.eml", "samples/bounces/qmail-01.eml",
	"samples/bounces/autoreply-01.eml", "samples/bounces/notbounce-01.eml",
};
static Bounce *bounces[G_N_ELEMENTS (samples)]; /* owned for the whole run */

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
	bounce_init ();
	for (guint i = 0; i < G_N_ELEMENTS (samples); i++) {
		g_autofree char *path = fuzz_source_path (samples[i]);
		g_autofree char *text = NULL;
		gsize len;
		g_autoptr (GError) error = NULL;
		if (!g_file_get_contents (path, &text, &len, &error)) {
			fprintf (stderr, "fuzz-formats: %s\n", error->message);
			abort ();
		}
		/* Without formats: only the header and the decoded text are
		 * wanted here, the fuzzed formats do the rest. */
		bounces[i] = bounce_parse (NULL, text, len);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	g_autofree char *text = fuzz_string (data, size);
	g_autoptr (GError) error = NULL;
	g_autoptr (TextbounceFormats) formats = textbounce_formats_parse ("fuzz.formats", text, &error);
	if (formats == NULL) {
		if (error == NULL || !g_str_has_prefix (error->message, "fuzz.formats:"))
			abort ();
		return 0;
	}
	for (guint i = 0; i < G_N_ELEMENTS (bounces); i++) {
		const Bounce *b = bounces[i];
		int family = textbounce_identify (formats, b->headers, b->text->str, b->text->len);
		if (family >= 0 && (textbounce_family_name (formats, family) == NULL ||
		                    textbounce_family_kind (formats, family) == NULL))
			abort ();
		g_autoptr (TextbounceQuote) quote = textbounce_find_original (formats, family, b->text->str, b->text->len);
		if (quote) {
			g_autoptr (HeaderBlock) h = headers_parse_block (quote->headers, quote->headers_len);
			(void) h;
		}
	}
	return 0;
}
