/* Unit tests of serve, the resident judge's wire and what the two sides
 * must share: the identity follows the config's bytes and paths; the files
 * stamp follows the rule files; who may read a file; a verdict value is believed only when it
 * can be one; over a socket pair, an exchange gives the judged value, and
 * the server refuses what is not a request while the client refuses what
 * is not a reply. tests/cli/serve.test runs the real server and filter. */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "ndrsift/limits.h"
#include "serve.h"

static char *
write_conf (const char *dir, const char *name, const char *text)
{
	char *path = g_build_filename (dir, name, NULL);
	g_assert_true (g_file_set_contents (path, text, -1, NULL));
	return path;
}

static Config *
load (const char *path, const char *rules)
{
	g_autoptr (GError) error = NULL;
	Config *c = config_load (path, "/nonexistent/sent.db", rules, &error);
	g_assert_no_error (error);
	return c;
}

static void
test_identity (void)
{
	g_autofree char *dir = g_dir_make_tmp ("ndrsift-serve-XXXXXX", NULL);
	g_autofree char *a = write_conf (dir, "a.conf", "[verdict]\nforged_at=5.0\n");
	g_autofree char *b = write_conf (dir, "b.conf", "[verdict]\nforged_at=5.5\n");
	g_autoptr (Config) ca = load (a, dir), ca2 = load (a, dir), cb = load (b, dir), crules = load (a, "/other");
	guint8 ia[SERVE_IDENTITY_LEN], ia2[SERVE_IDENTITY_LEN], ib[SERVE_IDENTITY_LEN], ir[SERVE_IDENTITY_LEN];
	serve_identity (ca, ia);
	serve_identity (ca2, ia2);
	serve_identity (cb, ib);
	serve_identity (crules, ir);
	g_assert_cmpmem (ia, sizeof ia, ia2, sizeof ia2);
	g_assert_true (memcmp (ia, ib, sizeof ia) != 0);
	g_assert_true (memcmp (ia, ir, sizeof ia) != 0);
	g_unlink (a);
	g_unlink (b);
	g_rmdir (dir);
}

static void
test_stamp (void)
{
	g_autofree char *dir = g_dir_make_tmp ("ndrsift-serve-XXXXXX", NULL);
	g_autofree char *conf = write_conf (dir, "c.conf", "");
	g_autofree char *rules = g_build_filename (dir, "rules", NULL);
	g_assert_cmpint (g_mkdir (rules, 0755), ==, 0);
	g_autoptr (Config) c = load (conf, rules);
	guint8 s0[SERVE_IDENTITY_LEN], s1[SERVE_IDENTITY_LEN], s2[SERVE_IDENTITY_LEN], s3[SERVE_IDENTITY_LEN];
	serve_files_stamp (c, s0, NULL);
	serve_files_stamp (c, s1, NULL);
	g_assert_cmpmem (s0, sizeof s0, s1, sizeof s1);
	g_autofree char *r = write_conf (rules, "x.rules", "header A Subject =~ /a/\n");
	serve_files_stamp (c, s2, NULL);
	g_assert_true (memcmp (s1, s2, sizeof s1) != 0);
	/* the same name, other bytes */
	g_usleep (20 * 1000);
	g_assert_true (g_file_set_contents (r, "header A Subject =~ /b/\n", -1, NULL));
	serve_files_stamp (c, s3, NULL);
	g_assert_true (memcmp (s2, s3, sizeof s2) != 0);
	g_unlink (r);
	g_unlink (conf);
	g_rmdir (rules);
	g_rmdir (dir);
}

/* By the mode bits of owner, group or others, whichever is the user's. */
static void
test_may_read (void)
{
	struct stat f = { .st_uid = 100, .st_gid = 200, .st_mode = S_IFREG | 0640 };
	g_assert_true (serve_may_read (100, 1, &f, FALSE));  /* owner */
	g_assert_true (serve_may_read (7, 200, &f, FALSE));  /* group */
	g_assert_false (serve_may_read (7, 8, &f, FALSE));   /* others */
	g_assert_true (serve_may_read (0, 0, &f, FALSE));    /* root */
	f.st_mode = S_IFREG | 0604;
	g_assert_false (serve_may_read (7, 200, &f, FALSE)); /* the group's bits, not the others' */
	g_assert_true (serve_may_read (7, 8, &f, FALSE));
	struct stat d = { .st_uid = 100, .st_gid = 200, .st_mode = S_IFDIR | 0711 };
	g_assert_false (serve_may_read (7, 8, &d, FALSE));   /* no listing */
	g_assert_true (serve_may_read (7, 8, &d, TRUE));     /* search only */
	d.st_mode = S_IFDIR | 0750;
	g_assert_false (serve_may_read (7, 8, &d, TRUE));
	g_assert_true (serve_may_read (7, 200, &d, FALSE));
}

static void
test_value_valid (void)
{
	static const char *const good[] = {
		"forged; kind=dsn; score=6.5; tests=MSGID_NOT_SENT,\n\tMSGID_DOMAIN_FOREIGN",
		"legit; kind=dsn; score=-10.0; tests=MSGID_SENT",
		"none; kind=none; score=0.0; tests=none",
		"error; reason=rules",
		"unknown; kind=autoreply; score=0.0; tests=none",
	};
	static const char *const bad[] = {
		"", "forged", "Forged; kind=dsn", "forged; a\r\nX-Evil: 1", "forged; a\nX-Evil: 1",
		"forged; a\n", "forged; \x1b[31m", "forged; \xc3\xa9", "\n\tforged;", "maybe; kind=dsn",
	};
	for (guint i = 0; i < G_N_ELEMENTS (good); i++)
		g_assert_true (serve_value_valid (good[i], strlen (good[i])));
	for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
		g_assert_false (serve_value_valid (bad[i], strlen (bad[i])));
	g_autofree char *big = g_strnfill (NS_SERVE_MAX_VALUE + 1, 'a');
	memcpy (big, "none;", 5);
	g_assert_false (serve_value_valid (big, strlen (big)));
	g_assert_true (serve_value_valid (big, NS_SERVE_MAX_VALUE));
	/* a NUL inside */
	g_assert_false (serve_value_valid ("none; a\0b", 9));
}

/* ---- over a socket pair ---- */

static const guint8 ID[SERVE_IDENTITY_LEN] = { 1, 2, 3 };

typedef struct {
	int fd;
	gboolean handled;
	GBytes *seen;
	gboolean seen_cut;
} Side;

static ServeStatus
judge (const guint8 identity[SERVE_IDENTITY_LEN], GBytes *message, gboolean cut, guint uid, guint gid,
       char **value, gpointer data)
{
	Side *s = data;
	/* the peer of a socket pair is this process */
	g_assert_cmpuint (uid, ==, geteuid ());
	g_assert_cmpuint (gid, ==, getegid ());
	s->seen = g_bytes_ref (message);
	s->seen_cut = cut;
	if (memcmp (identity, ID, SERVE_IDENTITY_LEN) != 0)
		return SERVE_OTHER_CONFIG;
	*value = g_strdup ("forged; kind=dsn; score=6.0; tests=MSGID_NOT_SENT");
	return SERVE_OK;
}

static gpointer
server (gpointer data)
{
	Side *s = data;
	s->handled = serve_handle (s->fd, judge, s, NULL);
	return NULL;
}

static void
test_exchange (void)
{
	for (int round = 0; round < 2; round++) {
		int sv[2];
		g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), ==, 0);
		Side s = { .fd = sv[1] };
		GThread *t = g_thread_new ("server", server, &s);
		guint8 other[SERVE_IDENTITY_LEN] = { 9 };
		/* a message bigger than a socket buffer, in pieces */
		gsize len = 1024 * 1024;
		g_autofree guint8 *msg = g_malloc (len);
		for (gsize i = 0; i < len; i++)
			msg[i] = (guint8) (i * 7);
		g_autoptr (GError) error = NULL;
		g_autofree char *v = serve_exchange (sv[0], round ? other : ID, msg, len, round == 0,
		                                     g_get_monotonic_time () + 10 * G_USEC_PER_SEC, &error);
		g_thread_join (t);
		g_assert_true (s.handled);
		g_assert_nonnull (s.seen);
		g_assert_cmpmem (g_bytes_get_data (s.seen, NULL), g_bytes_get_size (s.seen), msg, len);
		g_assert_cmpint (s.seen_cut, ==, round == 0);
		if (round == 0) {
			g_assert_no_error (error);
			g_assert_cmpstr (v, ==, "forged; kind=dsn; score=6.0; tests=MSGID_NOT_SENT");
		} else {
			g_assert_null (v);
			g_assert_nonnull (strstr (error->message, "another config"));
		}
		g_bytes_unref (s.seen);
		close (sv[0]);
		close (sv[1]);
	}
}

/* A request that is not one: refused (status 2), judge never called. */
static void
test_bad_requests (void)
{
	guint8 head[SERVE_MAGIC_LEN + SERVE_IDENTITY_LEN + 8] = { 0 };
	memcpy (head, SERVE_MAGIC, SERVE_MAGIC_LEN);
	struct {
		guint32 flags, len;
		gboolean magic;
	} cases[] = {
		{ 0, NS_MAX_MESSAGE_BYTES + 1, TRUE }, { 0, G_MAXUINT32, TRUE }, { 2, 0, TRUE }, { 0, 0, FALSE },
	};
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		int sv[2];
		g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
		head[0] = cases[i].magic ? SERVE_MAGIC[0] : 'X';
		guint8 *f = head + SERVE_MAGIC_LEN + SERVE_IDENTITY_LEN;
		for (int b = 0; b < 4; b++) {
			f[b] = (guint8) (cases[i].flags >> (8 * b));
			f[4 + b] = (guint8) (cases[i].len >> (8 * b));
		}
		g_assert_cmpint (write (sv[0], head, sizeof head), ==, sizeof head);
		Side s = { .fd = sv[1] };
		g_autoptr (GError) error = NULL;
		g_assert_false (serve_handle (sv[1], judge, &s, &error));
		g_assert_null (s.seen);
		guint8 reply[SERVE_MAGIC_LEN + 8];
		g_assert_cmpint (read (sv[0], reply, sizeof reply), ==, sizeof reply);
		g_assert_cmpmem (reply, SERVE_MAGIC_LEN, SERVE_MAGIC, SERVE_MAGIC_LEN);
		g_assert_cmpint (reply[SERVE_MAGIC_LEN], ==, SERVE_REFUSED);
		close (sv[0]);
		close (sv[1]);
	}
	/* the client gone halfway: no judgement, no reply */
	int sv[2];
	g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
	g_assert_cmpint (write (sv[0], head, 20), ==, 20);
	close (sv[0]);
	Side s = { .fd = sv[1] };
	g_assert_false (serve_handle (sv[1], judge, &s, NULL));
	g_assert_null (s.seen);
	close (sv[1]);
}

/* What a server (or whatever is at the socket) answers that is no reply:
 * the client gives no value, and says why. */
static void
test_bad_replies (void)
{
	struct {
		const char *magic;
		guint32 status, len;
		const char *value;
	} cases[] = {
		{ "NOT-NDRSIFT/1..\n", 0, 5, "none;" },
		{ SERVE_MAGIC, SERVE_REFUSED, 0, "" },
		{ SERVE_MAGIC, 7, 5, "none;" },
		{ SERVE_MAGIC, SERVE_OK, 0, "" },
		{ SERVE_MAGIC, SERVE_OK, NS_SERVE_MAX_VALUE + 1, "" },
		{ SERVE_MAGIC, SERVE_OK, 20, "legit; a\r\nX-Evil: 1" },
		{ SERVE_MAGIC, SERVE_OK, 10, "legit;" }, /* shorter than it says */
	};
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		int sv[2];
		g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), ==, 0);
		guint8 r[SERVE_MAGIC_LEN + 8];
		memcpy (r, cases[i].magic, SERVE_MAGIC_LEN);
		for (int b = 0; b < 4; b++) {
			r[SERVE_MAGIC_LEN + b] = (guint8) (cases[i].status >> (8 * b));
			r[SERVE_MAGIC_LEN + 4 + b] = (guint8) (cases[i].len >> (8 * b));
		}
		/* the reply first: the request fits the socket's buffer */
		g_assert_cmpint (write (sv[1], r, sizeof r), ==, sizeof r);
		g_assert_cmpint (write (sv[1], cases[i].value, strlen (cases[i].value)), ==, strlen (cases[i].value));
		shutdown (sv[1], SHUT_WR);
		g_autoptr (GError) error = NULL;
		g_autofree char *v = serve_exchange (sv[0], ID, (const guint8 *) "x", 1, FALSE,
		                                     g_get_monotonic_time () + 2 * G_USEC_PER_SEC, &error);
		g_assert_null (v);
		g_assert_nonnull (error);
		close (sv[0]);
		close (sv[1]);
	}
	/* silence: the deadline */
	int sv[2];
	g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), ==, 0);
	gint64 start = g_get_monotonic_time ();
	g_autoptr (GError) error = NULL;
	g_autofree char *v = serve_exchange (sv[0], ID, (const guint8 *) "x", 1, FALSE, start + 200 * 1000, &error);
	g_assert_null (v);
	g_assert_nonnull (strstr (error->message, "timed out"));
	g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
	close (sv[0]);
	close (sv[1]);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/serve/identity", test_identity);
	g_test_add_func ("/serve/files-stamp", test_stamp);
	g_test_add_func ("/serve/may-read", test_may_read);
	g_test_add_func ("/serve/value-valid", test_value_valid);
	g_test_add_func ("/serve/exchange", test_exchange);
	g_test_add_func ("/serve/bad-requests", test_bad_requests);
	g_test_add_func ("/serve/bad-replies", test_bad_replies);
	return g_test_run ();
}
