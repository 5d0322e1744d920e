/* explain — every extracted fact of one message and where it was found. */
#include <stdio.h>

#include "commands.h"
#include "ndrsift/engine.h"
#include "ndrsift/limits.h"
#include "mailbox.h"
#include "printer.h"

int
cmd_explain (Config *config, int argc, char **argv)
{
	g_autoptr (Config) owned = config;
	gboolean json = FALSE;
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the facts as JSON", NULL },
		{ NULL }
	};
	g_autoptr (GOptionContext) oc = g_option_context_new ("FILE - show every fact of one message");
	g_option_context_add_main_entries (oc, entries, NULL);
	g_autoptr (GError) error = NULL;
	if (!msg_options_parse (oc, &argc, &argv, &error) || argc != 2) {
		msg_error ("explain", "%s", error ? error->message : "give one FILE (or - for standard input)");
		return EXIT_USAGE;
	}

	/* The facts: what each rule looked at. */
	g_autoptr (Engine) engine = engine_new (g_steal_pointer (&owned), TRUE, &error);
	if (engine == NULL) {
		msg_error ("explain", "%s", error->message);
		return EXIT_ERROR;
	}

	/* One message: a file, or standard input; read as `scan` reads a
	 * single-message file, so both see the same bytes. */
	const char *paths[] = { argv[1], NULL };
	g_autoptr (MailboxIter) it = mailbox_iter_new (paths, FALSE);
	g_autoptr (MailboxMessage) msg = mailbox_iter_next (it);
	if (msg == NULL || msg->error) {
		msg_error ("explain", "%s", msg ? msg->error->message : "no message");
		return EXIT_ERROR;
	}
	g_autoptr (Verdict) v = engine_judge (engine, g_steal_pointer (&msg->data), msg->truncated, NULL);

	g_autofree char *text = printer_message (printer_find (json ? "explain-json" : "explain"), msg->source,
	                                         msg->offset, v);
	fputs (text, stdout);
	return fflush (stdout) == 0 ? EXIT_OK : EXIT_ERROR;
}
