/* fuzz-rules — the *.rules parser (rules_parse: directives, /re/flags
 * patterns compiled with the `pattern` limits, meta expressions compiled
 * to postfix programs) and, when a file loads, its evaluation
 * (rules_evaluate) over three sample bounces with alternating built-in
 * outcomes, then rules_get() of every rule as `rules list` calls it.
 *
 * The input is one file's text. Limits that apply: NS_MAX_RULE_LINE,
 * NS_MAX_RULES, NS_MAX_META_DEPTH, and the PCRE2 match, depth and heap
 * limits (patterns run on message data). An error must name file:line
 * (doc/design.md): a message without the location aborts. */
#include <gmime/gmime.h>

#include "fuzz-common.h"
#include "ndrsift/bounce.h"
#include "ndrsift/rules.h"
#include "textbounce.h"

/* A DSN with a quoted original, an inline-quoted NDR, and no bounce:
 * header, original: and dsn: targets all find (or miss) something. */
static const char *const samples[] = {
	"samples/bounces/postfix-01.eml", "samples/bounces/exim-01.eml", "samples/bounces/notbounce-01.eml",
};
static Bounce *bounces[G_N_ELEMENTS (samples)]; /* owned for the whole run */
static EvalResults evals;                       /* every other built-in fired */

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
	bounce_init ();
	g_autoptr (GError) error = NULL;
	g_autofree char *rules_dir = fuzz_source_path ("rules");
	const char *dirs[] = { rules_dir, NULL };
	g_autoptr (TextbounceFormats) formats = textbounce_formats_load (dirs, &error);
	if (formats == NULL) {
		fprintf (stderr, "fuzz-rules: %s\n", error->message);
		abort ();
	}
	for (guint i = 0; i < G_N_ELEMENTS (samples); i++) {
		g_autofree char *path = fuzz_source_path (samples[i]);
		g_autofree char *text = NULL;
		gsize len;
		if (!g_file_get_contents (path, &text, &len, &error)) {
			fprintf (stderr, "fuzz-rules: %s\n", error->message);
			abort ();
		}
		bounces[i] = bounce_parse (formats, text, len);
	}
	for (int i = 0; i < EVAL_COUNT; i++) {
		evals.fired[i] = i % 2 == 0;
		evals.fact[i] = g_strdup_printf ("fact %d", i);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	g_autofree char *text = fuzz_string (data, size);
	g_autoptr (GError) error = NULL;
	g_autoptr (Rules) rules = rules_parse ("fuzz.rules", text, &error);
	if (rules == NULL) {
		if (error == NULL || !g_str_has_prefix (error->message, "fuzz.rules:"))
			abort ();
		return 0;
	}
	for (guint i = 0; i < G_N_ELEMENTS (bounces); i++) {
		GArray *results = rules_evaluate (rules, bounces[i], &evals, TRUE);
		rules_results_free (results);
	}
	for (guint i = 0; i < rules_count (rules); i++) {
		RuleInfo info;
		rules_get (rules, i, &info);
		if (info.name == NULL || info.definition == NULL || info.where == NULL)
			abort ();
	}
	return 0;
}
