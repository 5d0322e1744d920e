/* check — one line per message: "FILE: VERDICT score=S kind=K tests=T".
 * --verdict-only prints the verdict word alone with no newline (Sieve's
 * `execute :pipe :output "v" "ndrsift-check"` stores it verbatim);
 * --exit-status exits 1 when some message is forged. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "ndrsift/engine.h"
#include "mailbox.h"
#include "printer.h"

int
cmd_check (Config *config, int argc, char **argv)
{
	g_autoptr (Config) owned = config;
	gboolean exit_status = FALSE, verdict_only = FALSE;
	GOptionEntry entries[] = {
		{ "exit-status", 0, 0, G_OPTION_ARG_NONE, &exit_status, "Exit 1 when a message is forged", NULL },
		{ "verdict-only", 0, 0, G_OPTION_ARG_NONE, &verdict_only, "Print only the verdict word, no newline", NULL },
		{ NULL }
	};
	g_autoptr (GOptionContext) oc = g_option_context_new ("FILE...|- - the verdict on each message");
	g_option_context_add_main_entries (oc, entries, NULL);
	g_autoptr (GError) error = NULL;
	if (!msg_options_parse (oc, &argc, &argv, &error) || argc < 2) {
		msg_error ("check", "%s", error ? error->message : "give FILE... or - for standard input");
		return EXIT_USAGE;
	}
	g_autoptr (Engine) engine = engine_new (g_steal_pointer (&owned), FALSE, &error);
	if (engine == NULL) {
		msg_error ("check", "%s", error->message);
		return EXIT_ERROR;
	}
	const Printer *line = printer_find ("check");
	g_autoptr (MailboxIter) it = mailbox_iter_new ((const char *const *) argv + 1, FALSE);
	MailboxMessage *msg;
	gboolean forged = FALSE, failed = FALSE, first = TRUE;
	while ((msg = mailbox_iter_next (it))) {
		g_autoptr (MailboxMessage) m = msg;
		if (m->error) {
			msg_error ("check", "%s", m->error->message);
			failed = TRUE;
			continue;
		}
		g_autoptr (Verdict) v = engine_judge (engine, g_steal_pointer (&m->data), m->truncated, NULL);
		forged |= v->verdict == VERDICT_FORGED;
		if (verdict_only) {
			printf ("%s%s", first ? "" : "\n", verdict_name (v->verdict));
		} else {
			g_autofree char *text = printer_message (line, m->source, m->offset, v);
			fputs (text, stdout);
		}
		first = FALSE;
	}
	if (fflush (stdout) != 0 || failed)
		return EXIT_ERROR;
	return exit_status && forged ? EXIT_FORGED : EXIT_OK;
}
