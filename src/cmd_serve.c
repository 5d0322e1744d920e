/* serve — `ndrsift serve [--socket PATH] [--workers N]`: the resident
 * judge filter asks (serve.h) over the unix socket PATH, by default
 * [filter] server.
 *
 * The main thread accepts connections and hands each to a worker (at most
 * --workers, NS_SERVE_MAX_WORKERS); past NS_SERVE_MAX_QUEUE waiting
 * connections a new one is refused at once, and its filter judges itself.
 * Before each judgement the files it reads are stamped (serve_files_stamp);
 * a change loads the config, rules and formats anew into a new Engine,
 * which the next judgements use (those under way keep theirs). Rules that
 * no longer load are not used: requests are refused until the files
 * change again, so filter judges with them itself and says what is wrong.
 * The server judges only for a user who could read those files and the
 * sent log (serve.h), and only when it can read the sent log itself.
 * SIGHUP loads them anew too; SIGTERM and SIGINT stop it: the socket is
 * removed and the judgements under way finish. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* accept4() */
#endif
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "ndrsift/engine.h"
#include "ndrsift/limits.h"
#include "serve.h"

typedef struct {
	GMutex lock;
	Engine *engine;                     /* the one in force */
	guint8 identity[SERVE_IDENTITY_LEN]; /* ...its config's */
	guint8 stamp[SERVE_IDENTITY_LEN];   /* the files it was loaded from */
	GArray *files;                      /* struct stat: those files as last stamped */
	guint8 failed[SERVE_IDENTITY_LEN];  /* files that did not load, when have_failed */
	gboolean have_failed;
	gboolean reload;                    /* SIGHUP: load anew before the next judgement */
} Server;

/* The Engine for the files as they are now, or NULL when they do not
 * load. Called with the lock held. Returns: (transfer full). */
static Engine *
current_engine (Server *s)
{
	guint8 stamp[SERVE_IDENTITY_LEN];
	g_array_set_size (s->files, 0);
	serve_files_stamp (engine_config (s->engine), stamp, s->files);
	if (!s->reload && memcmp (stamp, s->stamp, sizeof stamp) == 0)
		return engine_ref (s->engine);
	if (!s->reload && s->have_failed && memcmp (stamp, s->failed, sizeof stamp) == 0)
		return NULL;
	s->reload = FALSE;
	g_autoptr (GError) error = NULL;
	Engine *fresh = engine_reload (s->engine, &error);
	if (fresh == NULL) {
		msg_error ("serve", "%s; refusing to judge until the files change", error->message);
		memcpy (s->failed, stamp, sizeof stamp);
		s->have_failed = TRUE;
		return NULL;
	}
	/* The stamp of what was read: taken again, a change during the load
	 * shows at the next judgement. */
	memcpy (s->stamp, stamp, sizeof stamp);
	s->have_failed = FALSE;
	engine_unref (s->engine);
	s->engine = fresh;
	serve_identity (engine_config (fresh), s->identity);
	msg_notice ("serve", "loaded the config, rules and formats anew");
	return engine_ref (fresh);
}

/* Whether uid, gid could read every file the judgement reads: those of
 * the stamp (called with the lock held) and the sent log, with its
 * directory, as it is now (a missing one tells nothing). */
static gboolean
client_may_read (Server *s, const Config *config, guint uid, guint gid)
{
	for (guint i = 0; i < s->files->len; i++)
		if (!serve_may_read (uid, gid, &g_array_index (s->files, struct stat, i), FALSE))
			return FALSE;
	struct stat st;
	g_autofree char *dir = g_path_get_dirname (config->sentlog_path);
	if (stat (dir, &st) == 0 && !serve_may_read (uid, gid, &st, TRUE))
		return FALSE;
	return stat (config->sentlog_path, &st) != 0 || serve_may_read (uid, gid, &st, FALSE);
}

static ServeStatus
judge (const guint8 identity[SERVE_IDENTITY_LEN], GBytes *message, gboolean cut, guint uid, guint gid,
       char **value, gpointer data)
{
	Server *s = data;
	g_mutex_lock (&s->lock);
	g_autoptr (Engine) engine = current_engine (s);
	gboolean same = memcmp (identity, s->identity, SERVE_IDENTITY_LEN) == 0;
	gboolean may = engine && client_may_read (s, engine_config (engine), uid, gid);
	g_mutex_unlock (&s->lock);
	if (engine == NULL)
		return SERVE_REFUSED;
	if (!same)
		return SERVE_OTHER_CONFIG;
	/* Their filter alone would judge without what they cannot read. */
	if (!may)
		return SERVE_NOT_YOURS;
	/* Nor is the server to judge with less than they have: a sent log
	 * that is there but that it cannot read, or could not read now. */
	const char *log = engine_config (engine)->sentlog_path;
	if (access (log, F_OK) == 0 && access (log, R_OK) != 0)
		return SERVE_REFUSED;
	g_autoptr (Verdict) v = engine_judge (engine, g_bytes_ref (message), cut, NULL); /* takes a ref */
	if (v->sentlog_error)
		return SERVE_REFUSED;
	*value = engine_header_value (engine, v);
	return SERVE_OK;
}

static void
work (gpointer item, gpointer data)
{
	int fd = GPOINTER_TO_INT (item) - 1;
	g_autoptr (GError) error = NULL;
	/* A client that sends garbage or stalls is its own problem: said at
	 * debug level only, a hostile local user must not fill the log. */
	if (!serve_handle (fd, judge, data, &error))
		g_debug ("serve: %s", error->message);
	close (fd);
}

static int
workers_default (void)
{
	return CLAMP ((int) g_get_num_processors (), 2, NS_SERVE_MAX_WORKERS);
}

int
cmd_serve (Config *owned, int argc, char **argv)
{
	g_autoptr (Config) config = owned;
	g_autofree char *socket_path = NULL;
	int workers = workers_default ();
	GOptionEntry entries[] = {
		{ "socket", 0, 0, G_OPTION_ARG_FILENAME, &socket_path, "Listen at PATH (default: [filter] server)", "PATH" },
		{ "workers", 0, 0, G_OPTION_ARG_INT, &workers, "Judge at most N messages at once", "N" },
		{ NULL }
	};
	g_autoptr (GOptionContext) oc = g_option_context_new ("- judge for filter processes (the resident judge)");
	g_option_context_add_main_entries (oc, entries, NULL);
	g_autoptr (GError) error = NULL;
	if (!msg_options_parse (oc, &argc, &argv, &error) || argc != 1) {
		msg_error ("serve", "%s", error ? error->message : "takes no arguments");
		return EXIT_USAGE;
	}
	if (workers < 1 || workers > NS_SERVE_MAX_WORKERS) {
		msg_error ("serve", "--workers: between 1 and %d", NS_SERVE_MAX_WORKERS);
		return EXIT_USAGE;
	}
	const char *path = socket_path ? socket_path : config->filter_server;
	if (path[0] == '\0') {
		msg_error ("serve", "no socket: set [filter] server (the path filter asks) or give --socket");
		return EXIT_USAGE;
	}
	g_autofree char *listen_path = g_strdup (path);

	/* The signals, blocked in every thread (the workers are made after
	 * this), are read from a signalfd by the main loop. */
	sigset_t set;
	sigemptyset (&set);
	sigaddset (&set, SIGTERM);
	sigaddset (&set, SIGINT);
	sigaddset (&set, SIGHUP);
	pthread_sigmask (SIG_BLOCK, &set, NULL);
	signal (SIGPIPE, SIG_IGN);
	int sfd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		msg_error ("serve", "signalfd: %s", g_strerror (errno));
		return EXIT_ERROR;
	}

	Server s = { 0 };
	g_mutex_init (&s.lock);
	s.files = g_array_new (FALSE, FALSE, sizeof (struct stat));
	serve_files_stamp (config, s.stamp, s.files);
	s.engine = engine_new (g_steal_pointer (&config), FALSE, &error);
	if (s.engine == NULL) {
		msg_error ("serve", "%s", error->message);
		g_array_unref (s.files);
		close (sfd);
		return EXIT_ERROR;
	}
	serve_identity (engine_config (s.engine), s.identity);

	int lfd = serve_listen (listen_path, &error);
	if (lfd < 0) {
		msg_error ("serve", "%s", error->message);
		engine_unref (s.engine);
		g_array_unref (s.files);
		close (sfd);
		return EXIT_ERROR;
	}
	struct stat bound;
	if (stat (listen_path, &bound) != 0)
		memset (&bound, 0, sizeof bound);
	GThreadPool *pool = g_thread_pool_new (work, &s, workers, TRUE, NULL);
	msg_notice ("serve", "judging for filter at %s with %d workers", listen_path, workers);

	gboolean running = TRUE;
	while (running) {
		struct pollfd p[2] = { { .fd = lfd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
		if (poll (p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			msg_error ("serve", "poll: %s", g_strerror (errno));
			break;
		}
		struct signalfd_siginfo si;
		while (read (sfd, &si, sizeof si) == (ssize_t) sizeof si) {
			if (si.ssi_signo == SIGHUP) {
				g_mutex_lock (&s.lock);
				s.reload = TRUE;
				g_mutex_unlock (&s.lock);
			} else
				running = FALSE;
		}
		for (int n = 0; running && n < 64; n++) {
			int fd = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0) {
				/* Out of descriptors or memory: the connection
				 * stays in the backlog; a pause, not a busy loop
				 * (EAGAIN: none waits; others are the client's). */
				if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
					g_usleep (10 * 1000);
				break;
			}
			if (g_thread_pool_unprocessed (pool) >= NS_SERVE_MAX_QUEUE) {
				serve_refuse (fd);
				close (fd);
				continue;
			}
			g_thread_pool_push (pool, GINT_TO_POINTER (fd + 1), NULL);
		}
	}
	/* No new connections; the ones accepted are judged, then it ends. */
	close (lfd);
	struct stat now;
	if (stat (listen_path, &now) == 0 && now.st_dev == bound.st_dev && now.st_ino == bound.st_ino)
		unlink (listen_path);
	g_thread_pool_free (pool, FALSE, TRUE);
	engine_unref (s.engine);
	g_array_unref (s.files);
	g_mutex_clear (&s.lock);
	close (sfd);
	msg_notice ("serve", "stopped");
	return EXIT_OK;
}
