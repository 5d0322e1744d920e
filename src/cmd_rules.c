/* rules — `rules check [DIR]`: load the *.formats and *.rules of DIR (or
 * the configured directories, the built-in files in place of a missing
 * shipped one) and report every error with file:line; `rules list`: every
 * rule with its score, description and origin (built-in:FILE:LINE or
 * FILE:LINE), and each shipped file that differs from its built-in copy. */
#include <stdio.h>
#include <string.h>

#include "ndrsift/bounce.h"
#include "commands.h"
#include "ndrsift/config.h"
#include "ndrsift/limits.h"
#include "number.h"
#include "output.h"
#include "rulefiles.h"
#include "ndrsift/rules.h"
#include "textbounce.h"

/* Parses a subcommand's options (it has none but --help). */
static gboolean
parse_options (const char *parameter, int *argc, char ***argv, int *status)
{
	g_autoptr (GOptionContext) oc = g_option_context_new (parameter);
	g_autoptr (GError) error = NULL;
	if (!msg_options_parse (oc, argc, argv, &error)) {
		msg_error (g_get_prgname () + strlen ("ndrsift "), "%s", error->message);
		*status = EXIT_USAGE;
		return FALSE;
	}
	return TRUE;
}

/* Message-IDs compare without the blanks around them. */
static gboolean
same_id (const char *expected, const char *got)
{
	if (expected == NULL || got == NULL)
		return expected == got;
	g_autofree char *a = g_strstrip (g_strdup (expected));
	g_autofree char *b = g_strstrip (g_strdup (got));
	return strcmp (a, b) == 0;
}

/* Parses every family's samples: each must still be recognised as its
 * family (an earlier family that recognises it shadows it) and yield the
 * original and recipient it names. Problems go to errors; a family
 * without a sample is a warning. The built-in copy of the shipped files
 * has no samples (they ship beside the files): its are counted in
 * *builtin, not read. */
static void
check_samples (const TextbounceFormats *f, GPtrArray *errors, GPtrArray *warnings, guint *checked,
               guint *builtin)
{
	for (guint i = 0; i < textbounce_formats_count (f); i++) {
		const char *name = textbounce_family_name (f, (int) i);
		const TextbounceSample *const *samples;
		guint n = textbounce_family_samples (f, (int) i, &samples);
		if (n == 0) {
			g_autofree char *where = textbounce_family_where (f, (int) i);
			g_ptr_array_add (warnings, g_strdup_printf ("%s: family %s names no sample: no check keeps it working",
			                                            where, name));
		}
		for (guint k = 0; k < n; k++) {
			const TextbounceSample *s = samples[k];
			if (g_str_has_prefix (s->where, "built-in:")) {
				(*builtin)++;
				continue;
			}
			g_autofree char *data = NULL;
			gsize len = 0;
			g_autoptr (GError) error = NULL;
			if (!g_file_get_contents (s->path, &data, &len, &error)) {
				g_ptr_array_add (errors, g_strdup_printf ("%s: %s", s->where, error->message));
				continue;
			}
			(*checked)++;
			g_autoptr (Bounce) b = bounce_parse (f, data, MIN (len, NS_MAX_MESSAGE_BYTES));
			int got = textbounce_identify (f, b->headers, b->text->str, b->text->len);
			if (got != (int) i) {
				if (got < 0)
					g_ptr_array_add (errors, g_strdup_printf ("%s: sample %s is recognised by no family, not %s",
					                                          s->where, s->path, name));
				else {
					g_autofree char *where = textbounce_family_where (f, got);
					g_ptr_array_add (errors, g_strdup_printf ("%s: sample %s is recognised as %s (priority %d, %s), "
					                                          "which shadows %s (priority %d)",
					                                          s->where, s->path, textbounce_family_name (f, got),
					                                          textbounce_family_priority (f, got), where, name,
					                                          textbounce_family_priority (f, (int) i)));
				}
				continue;
			}
			const char *original = b->original ? b->original->message_id : NULL;
			if (!same_id (s->original, original))
				g_ptr_array_add (errors, g_strdup_printf ("%s: sample %s: original %s, expected %s", s->where,
				                                          s->path, original ? original : "none",
				                                          s->original ? s->original : "none"));
			const char *rcpt = b->failed_recipient;
			if (rcpt == NULL && b->report && b->report->recipients->len)
				rcpt = ((ReportRecipient *) g_ptr_array_index (b->report->recipients, 0))->final_recipient;
			if (!(s->recipient == NULL ? rcpt == NULL : rcpt && g_ascii_strcasecmp (s->recipient, rcpt) == 0))
				g_ptr_array_add (errors, g_strdup_printf ("%s: sample %s: recipient %s, expected %s", s->where,
				                                          s->path, rcpt ? rcpt : "none",
				                                          s->recipient ? s->recipient : "none"));
		}
	}
}

static int
rules_check_cmd (const Config *config, int argc, char **argv)
{
	int status;
	if (!parse_options ("[DIR] - load rule and format files, report every error", &argc, &argv, &status))
		return status;
	g_autoptr (GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
	g_autofree const char **configured = rulefiles_dirs (config, argc > 1 ? NULL : notices);
	const char *one[] = { argc > 1 ? argv[1] : NULL, NULL };
	const char *const *dirs = argc > 1 ? one : configured;
	for (guint i = 0; i < notices->len; i++)
		msg_error (NULL, "%s", (const char *) g_ptr_array_index (notices, i));
	if (argc > 2) {
		msg_error ("rules check", "give at most one DIR");
		return EXIT_USAGE;
	}
	if (argc > 1 && !g_file_test (argv[1], G_FILE_TEST_IS_DIR)) {
		msg_error ("rules check", "%s is not a directory", argv[1]);
		return EXIT_ERROR;
	}
	/* Every error of every file, not only the first. */
	g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
	guint count = 0, checked = 0, builtin = 0;
	g_autoptr (TextbounceFormats) formats = textbounce_formats_check (dirs, errors);
	gboolean ok = formats != NULL;
	ok &= rules_check (dirs, errors, &count);
	if (formats)
		check_samples (formats, errors, warnings, &checked, &builtin);
	ok &= errors->len == 0;
	for (guint i = 0; i < warnings->len; i++) {
		g_autofree char *m = output_escape (g_ptr_array_index (warnings, i));
		fprintf (stderr, "warning: %s\n", m);
	}
	/* A directory's error comes from both loaders: each is said once. */
	g_autoptr (GHashTable) said = g_hash_table_new (g_str_hash, g_str_equal);
	for (guint i = 0; i < errors->len; i++) {
		if (!g_hash_table_add (said, g_ptr_array_index (errors, i)))
			continue;
		g_autofree char *m = output_escape (g_ptr_array_index (errors, i));
		fprintf (stderr, "%s\n", m);
	}
	if (!ok) {
		guint n = g_hash_table_size (said);
		fprintf (stderr, "%u error%s\n", n, n == 1 ? "" : "s");
		return EXIT_ERROR;
	}
	if (builtin)
		fprintf (stderr, "%u samples of the built-in files not checked: they ship in the rules directory\n",
		         builtin);
	printf ("%u rules, %u bounce formats, %u samples: OK\n", count, textbounce_formats_count (formats), checked);
	return EXIT_OK;
}

static int
rules_list_cmd (const Config *config, int argc, char **argv)
{
	int status;
	if (!parse_options ("- every rule with its score and description", &argc, &argv, &status))
		return status;
	if (argc != 1) {
		msg_error ("rules list", "takes no arguments");
		return EXIT_USAGE;
	}
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GPtrArray) differences = g_ptr_array_new_with_free_func (g_free);
	g_autofree const char **dirs = rulefiles_dirs (config, notices);
	/* The shipped layer as installed, against the files built in. */
	if (dirs[0] != rulefiles_builtin)
		rulefiles_builtin_differences (dirs[0], differences);
	for (guint i = 0; i < notices->len; i++)
		msg_error (NULL, "%s", (const char *) g_ptr_array_index (notices, i));
	for (guint i = 0; i < differences->len; i++)
		msg_error ("rules list", "%s", (const char *) g_ptr_array_index (differences, i));
	g_autoptr (Rules) rules = rules_load (dirs, &error);
	if (rules == NULL) {
		msg_error ("rules list", "%s", error->message);
		return EXIT_ERROR;
	}
	for (guint i = 0; i < rules_count (rules); i++) {
		RuleInfo r;
		rules_get (rules, i, &r);
		g_autofree char *origin = r.score_where ? g_strdup_printf ("%s, score %s", r.where, r.score_where)
		                                        : g_strdup (r.where);
		g_autofree char *safe = output_escape (origin);
		printf ("%-24s %6s  %s  [%s]\n", r.name, SCORE (r.score), r.describe ? r.describe : r.definition, safe);
	}
	return fflush (stdout) == 0 ? EXIT_OK : EXIT_ERROR;
}

int
cmd_rules (Config *owned, int argc, char **argv)
{
	g_autoptr (Config) config = owned;
	if (argc >= 2 && (strcmp (argv[1], "check") == 0 || strcmp (argv[1], "list") == 0)) {
		g_autofree char *prgname = g_strconcat ("ndrsift rules ", argv[1], NULL);
		g_set_prgname (prgname);
		return argv[1][0] == 'c' ? rules_check_cmd (config, argc - 1, argv + 1)
		                         : rules_list_cmd (config, argc - 1, argv + 1);
	}
	if (argc == 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)) {
		printf ("Usage:\n"
		        "  ndrsift rules check [DIR]\n"
		        "  ndrsift rules list\n"
		        "\ncheck: load the *.formats and *.rules files of DIR (default: the configured\n"
		        "directories) and report every error with file:line; list: every rule with\n"
		        "its score and description.\n");
		return fflush (stdout) == 0 ? EXIT_OK : EXIT_ERROR;
	}
	msg_error ("rules", "give check [DIR] or list (see ndrsift rules --help)");
	return EXIT_USAGE;
}
