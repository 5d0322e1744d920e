/* milter — `ndrsift milter [--socket SPEC]`: the milter daemon for Postfix
 * and Sendmail (the callbacks and the judging are milter.c's).
 *
 * Start-up, in this order:
 *   1. signals: SIGHUP, SIGTERM, SIGINT and SIGUSR1 are blocked in the main
 *      thread before any other thread exists, so every thread inherits the
 *      mask. libmilter's signal thread takes the first three with sigwait
 *      (all three stop it: SIGHUP is no reload) and blocks them only in the
 *      thread that calls smfi_main; a thread started before could receive
 *      them and die. A thread of ours takes SIGUSR1: the reload;
 *   2. the Engine from the config (a broken config or rules file: exit 3);
 *   3. the socket, opened here rather than by smfi_main so that a unix
 *      socket gets [milter] socket_owner, socket_group and socket_mode
 *      before any client can connect (it is created under umask 0177);
 *   4. the workers, then smfi_main() in the foreground until SIGTERM.
 *
 * A reload reads the config, rules and formats anew into a new Engine and
 * puts it in force for the messages that start after it; connections stay
 * open. A broken file keeps the old Engine, and says so. The socket is
 * not moved by a reload: a changed one waits for the next start. */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "milter.h"
#include "commands.h"

static const char *
action_name (ConfigMilterAction action)
{
	return action == CONFIG_MILTER_REJECT ? "reject" : action == CONFIG_MILTER_QUARANTINE ? "quarantine" : "tag";
}

/* The path of a unix socket spec (libmilter's forms), else NULL. */
static const char *
unix_path (const char *spec)
{
	if (g_str_has_prefix (spec, "unix:"))
		return spec + 5;
	if (g_str_has_prefix (spec, "local:"))
		return spec + 6;
	return spec[0] == '/' ? spec : NULL;
}

static gboolean
socket_access (const Config *config, const char *path)
{
	uid_t uid = (uid_t) -1;
	gid_t gid = (gid_t) -1;
	if (*config->milter_socket_owner) {
		struct passwd *pw = getpwnam (config->milter_socket_owner);
		if (pw == NULL) {
			milter_log (MILTER_ERR, NULL, "[milter] socket_owner: no user %s", config->milter_socket_owner);
			return FALSE;
		}
		uid = pw->pw_uid;
	}
	if (*config->milter_socket_group) {
		struct group *gr = getgrnam (config->milter_socket_group);
		if (gr == NULL) {
			milter_log (MILTER_ERR, NULL, "[milter] socket_group: no group %s", config->milter_socket_group);
			return FALSE;
		}
		gid = gr->gr_gid;
	}
	if ((uid != (uid_t) -1 || gid != (gid_t) -1) && chown (path, uid, gid) != 0) {
		milter_log (MILTER_ERR, NULL, "%s: cannot give the socket to %s:%s: %s", path,
		            config->milter_socket_owner, config->milter_socket_group, g_strerror (errno));
		return FALSE;
	}
	if (chmod (path, (mode_t) config->milter_socket_mode) != 0) {
		milter_log (MILTER_ERR, NULL, "%s: cannot set the socket's mode %04o: %s", path,
		            (unsigned) config->milter_socket_mode, g_strerror (errno));
		return FALSE;
	}
	return TRUE;
}

static gboolean
same_socket (const Config *a, const Config *b)
{
	return strcmp (a->milter_socket, b->milter_socket) == 0 &&
	       strcmp (a->milter_socket_owner, b->milter_socket_owner) == 0 &&
	       strcmp (a->milter_socket_group, b->milter_socket_group) == 0 &&
	       a->milter_socket_mode == b->milter_socket_mode;
}

static void
reload (void)
{
	g_autoptr (Engine) old = milter_engine ();
	if (old == NULL)
		return; /* stopping */
	g_autoptr (GError) error = NULL;
	Engine *fresh = engine_reload (old, &error);
	if (fresh == NULL) {
		milter_log (MILTER_ERR, NULL, "reload failed; the config and rules in force stay: %s", error->message);
		return;
	}
	const Config *c = engine_config (fresh);
	for (guint i = 0; c->unknown && i < c->unknown->len; i++)
		milter_log (MILTER_WARNING, NULL, "%s", (const char *) g_ptr_array_index (c->unknown, i));
	if (!same_socket (c, engine_config (old)))
		milter_log (MILTER_NOTICE, NULL, "the [milter] socket settings changed: they take effect at the next start");
	milter_log (MILTER_NOTICE, NULL, "reloaded %s: action %s, deadline %d ms", c->path ? c->path : "(built-in defaults)",
	            action_name (c->milter_action), c->milter_deadline_ms);
	milter_swap_engine (fresh);
}

static gpointer
reload_thread (gpointer data)
{
	(void) data;
	sigset_t usr1;
	sigemptyset (&usr1);
	sigaddset (&usr1, SIGUSR1);
	for (;;) {
		int sig;
		if (sigwait (&usr1, &sig) == 0 && sig == SIGUSR1)
			reload ();
	}
	return NULL;
}

int
cmd_milter (Config *config, int argc, char **argv)
{
	g_autoptr (Config) owned = config;
	g_autofree char *socket_opt = NULL;
	GOptionEntry entries[] = {
		{ "socket", 0, 0, G_OPTION_ARG_STRING, &socket_opt,
		  "Listen on SPEC (unix:PATH, inet:PORT@HOST) instead of [milter] socket", "SPEC" },
		{ NULL }
	};
	g_autoptr (GOptionContext) oc = g_option_context_new (
		"- judge bounces while the sending server is still connected (Postfix, Sendmail)");
	g_option_context_add_main_entries (oc, entries, NULL);
	g_option_context_set_description (oc, "Runs in the foreground and logs to standard error.\n"
	                                      "SIGUSR1 reloads the config and rules; SIGTERM stops it.");
	g_autoptr (GError) error = NULL;
	if (!msg_options_parse (oc, &argc, &argv, &error) || argc != 1) {
		msg_error ("milter", "%s", error ? error->message : "takes no arguments");
		return EXIT_USAGE;
	}
	milter_log_init ();

	sigset_t set;
	sigemptyset (&set);
	sigaddset (&set, SIGHUP);
	sigaddset (&set, SIGTERM);
	sigaddset (&set, SIGINT);
	sigaddset (&set, SIGUSR1);
	pthread_sigmask (SIG_BLOCK, &set, NULL);
	signal (SIGPIPE, SIG_IGN);

	Engine *engine = engine_new (g_steal_pointer (&owned), FALSE, &error);
	if (engine == NULL) {
		milter_log (MILTER_ERR, NULL, "%s", error->message);
		return EXIT_ERROR;
	}
	const Config *c = engine_config (engine);
	g_autofree char *spec = g_strdup (socket_opt ? socket_opt : c->milter_socket);
	const char *path = unix_path (spec);
	if (smfi_setconn (spec) != MI_SUCCESS || smfi_register (*milter_description ()) != MI_SUCCESS) {
		milter_log (MILTER_ERR, NULL, "libmilter refused the socket %s", spec);
		engine_unref (engine);
		return EXIT_ERROR;
	}
	mode_t mask = umask (0177);
	int opened = smfi_opensocket (true);
	umask (mask);
	if (opened != MI_SUCCESS) {
		milter_log (MILTER_ERR, NULL, "cannot listen on %s: %s", spec,
		            path ? "does its directory exist, writable by this user?"
		                 : "is the port free and the address one of this host's?");
		engine_unref (engine);
		return EXIT_ERROR;
	}
	if (path && !socket_access (c, path)) {
		unlink (path);
		engine_unref (engine);
		return EXIT_ERROR;
	}

	milter_log (MILTER_NOTICE, NULL, "listening on %s: action %s, deadline %d ms, config %s", spec,
	            action_name (c->milter_action), c->milter_deadline_ms, c->path ? c->path : "(built-in defaults)");
	milter_start (engine);
	g_thread_unref (g_thread_new ("reload", reload_thread, NULL));
	int status = smfi_main ();
	milter_log (MILTER_NOTICE, NULL, "stopping");
	milter_stop ();
	return status == MI_SUCCESS ? EXIT_OK : EXIT_ERROR;
}
