/* rules — `rules check [DIR]`: load the *.formats and *.rules of DIR (or
 * the configured directories) and report the first error with file:line;
 * `rules list`: every rule with its score and description. */
#include <stdio.h>
#include <string.h>

#include "ndrsift/commands.h"
#include "ndrsift/output.h"
#include "ndrsift/rules.h"
#include "ndrsift/textbounce.h"

static int
rules_check_cmd (const Config *config, int argc, char **argv)
{
	const char *one[] = { argc > 1 ? argv[1] : NULL, NULL };
	const char *const *dirs = argc > 1 ? one : (const char *const *) config->rules_dirs;
	if (argc > 2) {
		command_error ("rules check", "give at most one DIR");
		return EXIT_USAGE;
	}
	if (argc > 1 && !g_file_test (argv[1], G_FILE_TEST_IS_DIR)) {
		command_error ("rules check", "%s is not a directory", argv[1]);
		return EXIT_ERROR;
	}
	g_autoptr (GError) error = NULL;
	g_autoptr (TextbounceFormats) formats = textbounce_formats_load (dirs, &error);
	g_autoptr (Rules) rules = formats ? rules_load (dirs, &error) : NULL;
	if (rules == NULL) {
		g_autofree char *m = output_escape (error->message);
		fprintf (stderr, "%s\n", m);
		return EXIT_ERROR;
	}
	printf ("%u rules, %u bounce formats: OK\n", rules_count (rules), textbounce_formats_count (formats));
	return EXIT_OK;
}

static int
rules_list_cmd (const Config *config, int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (Rules) rules = rules_load ((const char *const *) config->rules_dirs, &error);
	if (rules == NULL) {
		command_error ("rules list", "%s", error->message);
		return EXIT_ERROR;
	}
	for (guint i = 0; i < rules_count (rules); i++) {
		const char *name, *describe, *definition;
		double score;
		rules_get (rules, i, &name, &score, &describe, &definition);
		char s[G_ASCII_DTOSTR_BUF_SIZE];
		g_ascii_formatd (s, sizeof s, "%.1f", score);
		printf ("%-24s %6s  %s\n", name, s, describe ? describe : definition);
	}
	return fflush (stdout) == 0 ? EXIT_OK : EXIT_ERROR;
}

int
cmd_rules (const Config *config, int argc, char **argv)
{
	if (argc >= 2 && strcmp (argv[1], "check") == 0)
		return rules_check_cmd (config, argc - 1, argv + 1);
	if (argc == 2 && strcmp (argv[1], "list") == 0)
		return rules_list_cmd (config, argc - 1, argv + 1);
	command_error ("rules", "give check [DIR] or list");
	return EXIT_USAGE;
}
