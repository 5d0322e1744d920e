/* main — global options, config, and dispatch to one command. */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "commands.h"
#include "msg.h"

/* The lines --version prints after "ndrsift VERSION". No licence has been
 * chosen yet: when one is, say it here (and in the README). */
#define NS_COPYRIGHT "Copyright (C) 2026 the ndrsift authors."
#define NS_LICENSE "License: not chosen yet; see the README.\n" \
	"There is NO WARRANTY, to the extent permitted by law."

static const struct {
	const char *name;
	int (*run) (Config *config, int argc, char **argv); /* takes the config */
	const char *summary;
} commands[] = {
	{ "filter", cmd_filter, "filter                    one message on stdin -> the same message + verdict header" },
	{ "check", cmd_check, "check [--exit-status] [--verdict-only] FILE...|-   one line per message" },
	{ "explain", cmd_explain, "explain [--json] FILE     every extracted fact and why each rule fired or not" },
	{ "scan", cmd_scan, "scan [--format text|csv|jsonl|html] [--jobs N] PATH...|-   batch audit" },
	{ "log", cmd_log, "log import [--format F] [--server NAME] [--follow] [FILE...|-]\n"
	                  "  log record [--server NAME] | log stats [--all] | log prune --before DATE\n"
	                  "  log retire [--since DATE | --undo] SERVER | log backup DEST" },
	{ "rules", cmd_rules, "rules check [DIR] | rules list" },
	{ "serve", cmd_serve, "serve [--socket PATH]    the resident judge that filter asks ([filter] server)" },
#ifdef NS_MILTER
	{ "milter", cmd_milter, "milter [--socket SPEC]   the milter daemon: judge bounces during SMTP (Postfix, Sendmail)" },
#endif
};

static char *
commands_help (void)
{
	GString *s = g_string_new ("Commands:\n");
	for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
		g_string_append_printf (s, "  %s\n", commands[i].summary);
	g_string_append (s, "\nRun 'ndrsift COMMAND --help' for a command's options.\n"
	                    "Exit status: 0 success, 1 a forged message (check --exit-status),\n"
	                    "2 usage error, 3 any other error.\n"
	                    "\nConfig: --config, else $NDRSIFT_CONFIG, else " NS_DEFAULT_CONFIG ".\n"
	                    "Built-in defaults: sent log " NS_DEFAULT_DB ",\n"
	                    "rules " NS_DEFAULT_RULES_DIRS ".\n"
	                    "Manuals: ndrsift(1), ndrsift.conf(5), ndrsift-rules(5).");
	return g_string_free (s, FALSE);
}

/* TRUE when the command word (the first word that is neither a global
 * option nor its value) is "filter". */
static gboolean
command_is_filter (int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp (a, "--") == 0)
			return i + 1 < argc && strcmp (argv[i + 1], "filter") == 0;
		if (a[0] != '-')
			return strcmp (a, "filter") == 0;
		if (strcmp (a, "--config") == 0 || strcmp (a, "-c") == 0 ||
		    strcmp (a, "--db") == 0 || strcmp (a, "--rules") == 0)
			i++;
	}
	return FALSE;
}

int
main (int argc, char **argv)
{
	/* Before anything else: standard output is the command's alone, and
	 * filter must write the mail back even when memory runs out during
	 * start-up. */
	msg_keep_stdout ();
	if (command_is_filter (argc, argv))
		cmd_filter_arm ();

	g_autofree char *config_path = NULL, *db = NULL, *rules = NULL;
	gboolean version = FALSE;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Read settings from FILE", "FILE" },
		{ "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Use the sent log at PATH", "PATH" },
		{ "rules", 0, 0, G_OPTION_ARG_FILENAME, &rules, "Read rules and formats from DIR (several: DIR:DIR)", "DIR" },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
		{ NULL }
	};

	setlocale (LC_ALL, "");
	g_autoptr (GOptionContext) oc = g_option_context_new ("COMMAND [ARGS...] - tell real bounces from backscatter");
	g_option_context_add_main_entries (oc, entries, NULL);
	/* Options after the command are the command's own. */
	g_option_context_set_strict_posix (oc, TRUE);
	g_autofree char *help = commands_help ();
	g_option_context_set_description (oc, help);

	g_autoptr (GError) error = NULL;
	if (!msg_options_parse (oc, &argc, &argv, &error)) {
		msg_error (NULL, "%s", error->message);
		return EXIT_USAGE;
	}
	if (version) {
		printf ("%s %s\n%s\n%s\n", PACKAGE_NAME, PACKAGE_VERSION, NS_COPYRIGHT, NS_LICENSE);
		return fflush (stdout) == 0 ? EXIT_OK : EXIT_ERROR;
	}
	if (argc < 2) {
		msg_error (NULL, "no command given");
		fputs ("Try 'ndrsift --help' for more information.\n", stderr);
		return EXIT_USAGE;
	}

	for (guint i = 0; i < G_N_ELEMENTS (commands); i++) {
		if (strcmp (argv[1], commands[i].name) != 0)
			continue;
		/* A command's --help says "Usage: ndrsift COMMAND ...". */
		g_autofree char *prgname = g_strconcat ("ndrsift ", commands[i].name, NULL);
		g_set_prgname (prgname);
		/* filter reads its input and starts its deadline before the
		 * config (or anything else) is opened. */
		if (commands[i].run == cmd_filter) {
			int status = cmd_filter_begin (argc - 1, argv + 1);
			if (status >= 0)
				return status;
		}
		Config *config = config_load (config_path, db, rules, &error);
		if (config == NULL) {
			msg_error (NULL, "%s", error->message);
			/* filter never fails: its fail-safe writes the mail back. */
			return msg_failsafe ("config", EXIT_ERROR);
		}
		for (guint w = 0; config->unknown && w < config->unknown->len; w++)
			msg_warning (NULL, "%s", (const char *) g_ptr_array_index (config->unknown, w));
		return commands[i].run (config, argc - 1, argv + 1);
	}
	msg_error (NULL, "unknown command '%s' (see ndrsift --help)", argv[1]);
	return EXIT_USAGE;
}
