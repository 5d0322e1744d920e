/* test-msg — diagnostics and the fail-safe hook (src/msg.h):
 *
 *   - a line on stderr is "ndrsift: COMMAND: TEXT", or "ndrsift: TEXT"
 *     without a command, whatever the severity, with control characters
 *     escaped;
 *   - a handler gets the severity, the command and the unescaped text,
 *     and nothing reaches stderr;
 *   - msg_failsafe() returns the caller's status without a hook, the
 *     hook's (with the reason) with one;
 *   - after msg_keep_stdout(), what GLib prints on its own (g_print, as
 *     its g_strerror() does when it cannot convert, and its debug
 *     messages) reaches stderr, never stdout: filter's stdout is mail;
 *     but --help, parsed by msg_options_parse(), still prints on stdout. */
#include <glib.h>

#include "msg.h"

static void
test_stderr (void)
{
	if (g_test_subprocess ()) {
		msg_error ("scan", "no such file: %s", "a\x1b[2Jb");
		msg_warning (NULL, "a warning");
		msg_notice ("log import", "%d lines", 3);
		return;
	}
	g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed ();
	g_test_trap_assert_stdout ("");
	g_test_trap_assert_stderr ("ndrsift: scan: no such file: a\\x1b[2Jb\n"
	                           "ndrsift: a warning\n"
	                           "ndrsift: log import: 3 lines\n");
}

static GString *seen;

static void
handler (MsgLevel level, const char *command, const char *text)
{
	g_string_append_printf (seen, "%d|%s|%s\n", level, command ? command : "-", text);
}

static void
test_handler (void)
{
	if (g_test_subprocess ()) {
		seen = g_string_new (NULL);
		msg_set_handler (handler);
		msg_error ("filter", "x\ty");
		msg_warning (NULL, "w");
		msg_notice ("scan", "n");
		msg_set_handler (NULL);
		g_assert_cmpstr (seen->str, ==, "0|filter|x\ty\n1|-|w\n2|scan|n\n");
		g_string_free (seen, TRUE);
		return;
	}
	g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed ();
	g_test_trap_assert_stderr ("");
}

static char *failsafe_reason;

static int
failsafe (const char *reason)
{
	g_free (failsafe_reason);
	failsafe_reason = g_strdup (reason);
	return 0;
}

static void
test_keep_stdout (void)
{
	if (g_test_subprocess ()) {
		g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
		msg_keep_stdout ();
		g_print ("Could not open converter from \u201cA\u201d to \u201cB\u201d\n");
		g_debug ("a debug message");
		g_info ("an info message");
		return;
	}
	g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed ();
	g_test_trap_assert_stdout ("");
	g_test_trap_assert_stderr ("ndrsift: Could not open converter from *\n*a debug message*an info message*");
}

static void
test_keep_stdout_help (void)
{
	if (g_test_subprocess ()) {
		msg_keep_stdout ();
		char *args[] = { (char *) "prog", (char *) "--help", NULL };
		char **argv = args;
		int argc = 2;
		g_autoptr (GOptionContext) oc = g_option_context_new ("- a test");
		msg_options_parse (oc, &argc, &argv, NULL); /* prints and exits 0 */
		g_print ("after the options\n");
		return;
	}
	g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed ();
	g_test_trap_assert_stdout ("Usage:*- a test*");
	g_test_trap_assert_stderr ("");
}

static void
test_failsafe (void)
{
	g_assert_cmpint (msg_failsafe ("config", 3), ==, 3);
	msg_set_failsafe (failsafe);
	g_assert_cmpint (msg_failsafe ("config", 3), ==, 0);
	g_assert_cmpstr (failsafe_reason, ==, "config");
	msg_set_failsafe (NULL);
	g_assert_cmpint (msg_failsafe ("config", 3), ==, 3);
	g_clear_pointer (&failsafe_reason, g_free);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/msg/stderr", test_stderr);
	g_test_add_func ("/msg/handler", test_handler);
	g_test_add_func ("/msg/failsafe", test_failsafe);
	g_test_add_func ("/msg/keep-stdout", test_keep_stdout);
	g_test_add_func ("/msg/keep-stdout-help", test_keep_stdout_help);
	return g_test_run ();
}
