/* serve — see serve.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* struct ucred (SO_PEERCRED) */
#endif
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "serve.h"
#include "ndrsift/limits.h"
#include "rulefiles.h"

G_DEFINE_QUARK (ndrsift-serve-error-quark, serve_error)

#define HEAD_LEN (SERVE_MAGIC_LEN + SERVE_IDENTITY_LEN + 8)
#define REPLY_HEAD_LEN (SERVE_MAGIC_LEN + 8)

static gboolean
fail (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (GError **error, const char *fmt, ...)
{
	va_list ap;
	va_start (ap, fmt);
	g_autofree char *m = g_strdup_vprintf (fmt, ap);
	va_end (ap);
	g_set_error_literal (error, SERVE_ERROR, 0, m);
	return FALSE;
}

/* ---- what a judgement depends on ------------------------------------------ */

static void
add_string (GChecksum *c, const char *s)
{
	/* With its NUL: "ab" "c" and "a" "bc" differ. */
	g_checksum_update (c, (const guchar *) (s ? s : ""), strlen (s ? s : "") + 1);
}

static void
add_stat (GChecksum *c, const struct stat *st)
{
	gint64 v[] = { st->st_dev, st->st_ino, st->st_size, st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
		       st->st_ctim.tv_sec, st->st_ctim.tv_nsec, st->st_mode };
	g_checksum_update (c, (const guchar *) v, sizeof v);
}

static void
add_path_stat (GChecksum *c, const char *path)
{
	struct stat st;
	if (path == NULL || stat (path, &st) != 0)
		memset (&st, 0, sizeof st);
	add_stat (c, &st);
}

static void
finish (GChecksum *c, guint8 out[SERVE_IDENTITY_LEN])
{
	gsize n = SERVE_IDENTITY_LEN;
	g_checksum_get_digest (c, out, &n);
}

void
serve_identity (const Config *config, guint8 out[SERVE_IDENTITY_LEN])
{
	g_autoptr (GChecksum) c = g_checksum_new (G_CHECKSUM_SHA256);
	add_string (c, "ndrsift-identity/1");
	/* The program: a server started before an upgrade judges for the
	 * old one only. */
	add_string (c, PACKAGE_VERSION);
	add_path_stat (c, "/proc/self/exe");
	g_checksum_update (c, config->file_digest, sizeof config->file_digest);
	/* Paths as they resolve here: a relative one means another file in
	 * another directory. */
	g_autofree char *conf = config->path ? g_canonicalize_filename (config->path, NULL) : NULL;
	add_string (c, conf);
	g_autofree char *db = g_canonicalize_filename (config->sentlog_path, NULL);
	add_string (c, db);
	for (guint i = 0; config->rules_dirs && config->rules_dirs[i]; i++) {
		g_autofree char *d = g_canonicalize_filename (config->rules_dirs[i], NULL);
		add_string (c, d);
	}
	/* GMime reads undeclared 8-bit text in the locale's character set. */
	const char *charset = NULL;
	g_get_charset (&charset);
	add_string (c, charset);
	finish (c, out);
}

static gboolean
is_rule_file (const char *name)
{
	return g_str_has_suffix (name, ".rules") || g_str_has_suffix (name, ".formats");
}

/* The stat of path into the stamp (and into files when it exists). */
static void
add_file (GChecksum *c, GArray *files, const char *path)
{
	struct stat st;
	if (path == NULL || stat (path, &st) != 0)
		memset (&st, 0, sizeof st);
	else if (files)
		g_array_append_val (files, st);
	add_stat (c, &st);
}

void
serve_files_stamp (const Config *config, guint8 out[SERVE_IDENTITY_LEN], GArray *files)
{
	g_autoptr (GChecksum) c = g_checksum_new (G_CHECKSUM_SHA256);
	add_file (c, files, config->path);
	g_autofree const char **dirs = rulefiles_dirs (config, NULL);
	for (guint i = 0; dirs[i]; i++) {
		if (dirs[i] == rulefiles_builtin) {
			add_string (c, "built-in");
			continue;
		}
		add_string (c, dirs[i]);
		DIR *d = opendir (dirs[i]);
		struct stat st;
		if (d == NULL || fstat (dirfd (d), &st) != 0) {
			add_string (c, "missing");
			if (d)
				closedir (d);
			continue;
		}
		add_stat (c, &st);
		if (files)
			g_array_append_val (files, st);
		/* readdir's order is the directory's, the same while its
		 * mtime (in the stamp) is. */
		struct dirent *e;
		while ((e = readdir (d)) != NULL) {
			if (!is_rule_file (e->d_name))
				continue;
			if (fstatat (dirfd (d), e->d_name, &st, 0) != 0)
				memset (&st, 0, sizeof st);
			else if (files)
				g_array_append_val (files, st);
			add_string (c, e->d_name);
			add_stat (c, &st);
		}
		closedir (d);
	}
	finish (c, out);
}

gboolean
serve_may_read (guint uid, guint gid, const struct stat *st, gboolean search_only)
{
	if (uid == 0)
		return TRUE;
	mode_t need = !S_ISDIR (st->st_mode) ? 04 : search_only ? 01 : 05;
	mode_t have = st->st_uid == uid ? (st->st_mode >> 6) & 07
	              : st->st_gid == gid ? (st->st_mode >> 3) & 07 : st->st_mode & 07;
	return (have & need) == need;
}

gboolean
serve_value_valid (const char *value, gsize n)
{
	static const char *const words[] = { "legit;", "forged;", "unknown;", "none;", "error;" };
	gboolean word = FALSE;
	for (guint i = 0; i < G_N_ELEMENTS (words) && !word; i++)
		word = n >= strlen (words[i]) && memcmp (value, words[i], strlen (words[i])) == 0;
	if (!word || n > NS_SERVE_MAX_VALUE)
		return FALSE;
	for (gsize i = 0; i < n; i++) {
		guchar ch = (guchar) value[i];
		if (ch == '\n' && i + 1 < n && value[i + 1] == '\t')
			i++;
		else if (ch < 0x20 || ch > 0x7e)
			return FALSE;
	}
	return TRUE;
}

/* ---- bounded I/O ----------------------------------------------------------- */

static void
put_u32 (guint8 *p, guint32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (guint8) (v >> (8 * i));
}

static guint32
get_u32 (const guint8 *p)
{
	return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

/* Reads or writes all len bytes of a non-blocking socket before
 * deadline_us (monotonic). */
static gboolean
io_all (int fd, gboolean writing, guint8 *buf, gsize len, gint64 deadline_us, GError **error)
{
	gsize done = 0;
	while (done < len) {
		ssize_t n = writing ? send (fd, buf + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT)
		                    : recv (fd, buf + done, len - done, MSG_DONTWAIT);
		if (n > 0) {
			done += (gsize) n;
			continue;
		}
		if (n == 0)
			return fail (error, "the other side closed the connection");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return fail (error, "%s", g_strerror (errno));
		gint64 left = deadline_us - g_get_monotonic_time ();
		if (left <= 0)
			return fail (error, "timed out");
		struct pollfd p = { .fd = fd, .events = writing ? POLLOUT : POLLIN };
		int ms = (int) MIN ((left + 999) / 1000, G_MAXINT);
		if (poll (&p, 1, ms) < 0 && errno != EINTR)
			return fail (error, "%s", g_strerror (errno));
	}
	return TRUE;
}

/* ---- filter's side ----------------------------------------------------------- */

char *
serve_exchange (int fd, const guint8 identity[SERVE_IDENTITY_LEN], const guint8 *message, gsize len,
                gboolean cut, gint64 deadline_us, GError **error)
{
	if (len > NS_MAX_MESSAGE_BYTES) {
		fail (error, "a message of over %u bytes", NS_MAX_MESSAGE_BYTES);
		return NULL;
	}
	guint8 head[HEAD_LEN];
	memcpy (head, SERVE_MAGIC, SERVE_MAGIC_LEN);
	memcpy (head + SERVE_MAGIC_LEN, identity, SERVE_IDENTITY_LEN);
	put_u32 (head + SERVE_MAGIC_LEN + SERVE_IDENTITY_LEN, cut ? 1 : 0);
	put_u32 (head + SERVE_MAGIC_LEN + SERVE_IDENTITY_LEN + 4, (guint32) len);
	guint8 reply[REPLY_HEAD_LEN];
	if (!io_all (fd, TRUE, head, sizeof head, deadline_us, error) ||
	    !io_all (fd, TRUE, (guint8 *) message, len, deadline_us, error) ||
	    !io_all (fd, FALSE, reply, sizeof reply, deadline_us, error))
		return NULL;
	guint32 status = get_u32 (reply + SERVE_MAGIC_LEN), n = get_u32 (reply + SERVE_MAGIC_LEN + 4);
	if (memcmp (reply, SERVE_MAGIC, SERVE_MAGIC_LEN) != 0) {
		fail (error, "not an ndrsift server");
		return NULL;
	}
	if (status == SERVE_OTHER_CONFIG) {
		fail (error, "it judges with another config, rules directory or ndrsift");
		return NULL;
	}
	if (status == SERVE_NOT_YOURS) {
		fail (error, "it reads a file this user cannot read (the config, a rule file or the sent log)");
		return NULL;
	}
	if (status != SERVE_OK) {
		fail (error, "it refused (busy, its rules do not load, or it cannot read the sent log)");
		return NULL;
	}
	if (n == 0 || n > NS_SERVE_MAX_VALUE) {
		fail (error, "a reply of %u bytes", n);
		return NULL;
	}
	g_autofree char *value = g_malloc (n + 1);
	if (!io_all (fd, FALSE, (guint8 *) value, n, deadline_us, error))
		return NULL;
	value[n] = '\0';
	if (!serve_value_valid (value, n)) {
		fail (error, "a reply that is no verdict");
		return NULL;
	}
	return g_steal_pointer (&value);
}

/* Whether the server on fd runs as a user filter believes (serve.h). */
static gboolean
trusted_peer (int fd, const Config *config, GError **error)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return fail (error, "%s", g_strerror (errno));
	if (cred.uid == 0 || cred.uid == geteuid ())
		return TRUE;
	struct stat st;
	if ((config->path && stat (config->path, &st) == 0 && st.st_uid == cred.uid) ||
	    (stat (config->sentlog_path, &st) == 0 && st.st_uid == cred.uid))
		return TRUE;
	return fail (error, "it runs as uid %u, neither root, this user, nor the owner of the config or the sent log",
	             (guint) cred.uid);
}

char *
serve_ask (const Config *config, const guint8 *message, gsize len, gboolean cut, int timeout_ms, GError **error)
{
	gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen (config->filter_server) >= sizeof sa.sun_path) {
		fail (error, "a socket path of over %zu bytes", sizeof sa.sun_path - 1);
		return NULL;
	}
	strcpy (sa.sun_path, config->filter_server);
	int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		fail (error, "%s", g_strerror (errno));
		return NULL;
	}
	char *value = NULL;
	/* A unix socket connects at once or not at all (EAGAIN: its
	 * backlog is full, a busy server). */
	if (connect (fd, (struct sockaddr *) &sa, sizeof sa) != 0)
		fail (error, "%s", g_strerror (errno));
	else if (trusted_peer (fd, config, error)) {
		guint8 identity[SERVE_IDENTITY_LEN];
		serve_identity (config, identity);
		value = serve_exchange (fd, identity, message, len, cut, deadline, error);
	}
	close (fd);
	return value;
}

/* ---- the server's side ----------------------------------------------------- */

int
serve_listen (const char *path, GError **error)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (path == NULL || path[0] != '/' || strlen (path) >= sizeof sa.sun_path) {
		fail (error, "%s: not an absolute path of at most %zu bytes", path ? path : "(none)",
		      sizeof sa.sun_path - 1);
		return -1;
	}
	strcpy (sa.sun_path, path);
	struct stat st;
	if (lstat (path, &st) == 0) {
		if (!S_ISSOCK (st.st_mode)) {
			fail (error, "%s: exists and is not a socket", path);
			return -1;
		}
		/* A socket: replaced only when nobody answers there. */
		int probe = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		gboolean live = probe >= 0 && connect (probe, (struct sockaddr *) &sa, sizeof sa) == 0;
		if (probe >= 0)
			close (probe);
		if (live) {
			fail (error, "%s: another server answers there", path);
			return -1;
		}
		if (unlink (path) != 0 && errno != ENOENT) {
			fail (error, "%s: %s", path, g_strerror (errno));
			return -1;
		}
	}
	int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		fail (error, "socket: %s", g_strerror (errno));
		return -1;
	}
	/* bind() makes the socket 0777 less the umask: 0666 (connecting
	 * needs write permission), the directory decides who reaches it. */
	mode_t old = umask (0111);
	int rc = bind (fd, (struct sockaddr *) &sa, sizeof sa);
	int e = errno;
	umask (old);
	if (rc != 0 || listen (fd, 128) != 0) {
		if (rc == 0)
			e = errno;
		close (fd);
		fail (error, "%s: %s", path, g_strerror (e));
		return -1;
	}
	return fd;
}

static void
reply (int fd, ServeStatus status, const char *value, gint64 deadline)
{
	gsize n = value ? strlen (value) : 0;
	guint8 head[REPLY_HEAD_LEN];
	memcpy (head, SERVE_MAGIC, SERVE_MAGIC_LEN);
	put_u32 (head + SERVE_MAGIC_LEN, status);
	put_u32 (head + SERVE_MAGIC_LEN + 4, (guint32) n);
	/* The client may be gone: nothing to do about it. */
	if (io_all (fd, TRUE, head, sizeof head, deadline, NULL) && n)
		io_all (fd, TRUE, (guint8 *) value, n, deadline, NULL);
}

void
serve_refuse (int fd)
{
	reply (fd, SERVE_REFUSED, NULL, g_get_monotonic_time () + 100 * 1000);
}

gboolean
serve_handle (int fd, ServeJudgeFunc judge, gpointer data, GError **error)
{
	gint64 deadline = g_get_monotonic_time () + (gint64) NS_SERVE_IO_MS * 1000;
	struct ucred peer;
	socklen_t plen = sizeof peer;
	if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &peer, &plen) != 0) {
		reply (fd, SERVE_REFUSED, NULL, deadline);
		return fail (error, "SO_PEERCRED: %s", g_strerror (errno));
	}
	int flags = fcntl (fd, F_GETFL);
	if (flags < 0 || fcntl (fd, F_SETFL, flags | O_NONBLOCK) != 0)
		return fail (error, "%s", g_strerror (errno));
	guint8 head[HEAD_LEN];
	if (!io_all (fd, FALSE, head, sizeof head, deadline, error))
		return FALSE;
	guint32 fl = get_u32 (head + SERVE_MAGIC_LEN + SERVE_IDENTITY_LEN);
	guint32 len = get_u32 (head + SERVE_MAGIC_LEN + SERVE_IDENTITY_LEN + 4);
	if (memcmp (head, SERVE_MAGIC, SERVE_MAGIC_LEN) != 0 || (fl & ~1u) != 0 || len > NS_MAX_MESSAGE_BYTES) {
		reply (fd, SERVE_REFUSED, NULL, deadline);
		return fail (error, "not a request (or a message of over %u bytes)", NS_MAX_MESSAGE_BYTES);
	}
	guint8 *buf = g_try_malloc (MAX (len, 1));
	if (buf == NULL) {
		reply (fd, SERVE_REFUSED, NULL, deadline);
		return fail (error, "no memory for a message of %u bytes", len);
	}
	g_autoptr (GBytes) message = g_bytes_new_take (buf, len);
	if (!io_all (fd, FALSE, buf, len, deadline, error))
		return FALSE;
	g_autofree char *value = NULL;
	ServeStatus status = judge (head + SERVE_MAGIC_LEN, message, fl & 1, peer.uid, peer.gid, &value, data);
	if (status == SERVE_OK && (value == NULL || !serve_value_valid (value, strlen (value))))
		status = SERVE_REFUSED;
	reply (fd, status, status == SERVE_OK ? value : NULL, deadline);
	return TRUE;
}
