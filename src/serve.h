/* serve — the resident judge. `ndrsift serve` (cmd_serve.c) keeps an
 * Engine (config, formats, rules, each worker's sent-log connection)
 * loaded and judges for filter processes that ask over the unix socket
 * [filter] server. A filter run then pays for its own start and the
 * message, not for reading the config, compiling the rules and opening the
 * sent log again (bench/README, "Start-up").
 *
 * The server can make filter faster, never different:
 * - it judges only for a filter of the same identity (serve_identity: the
 *   binary, the config file's bytes, the paths they resolve to, the
 *   locale's character set), and only with the rule files as they are on
 *   disk (serve_files_stamp, taken before each judgement: a change is read
 *   again first; a change that does not load is refused);
 * - whatever goes wrong on the way (no server, another identity, a
 *   refusal, a server slower than its share of the deadline, a reply that
 *   is not one), filter judges the message itself.
 *
 * Trust: filter believes a server run by root, by its own user, or by the
 * owner of the config file or of the sent log (SO_PEERCRED); a socket some
 * other local user put at the path is not asked. The server judges only
 * for a user who could read every file the judgement reads (the config,
 * the rule directories and files, the sent log: serve_may_read, by the
 * client's uid and primary gid): a verdict then says no more than that
 * user's own `ndrsift check` would, and is the one their filter would
 * write alone (a sent log of mode 0640 is no oracle for the others).
 *
 * Wire (integers little-endian; each length is checked before it is used):
 *   request  SERVE_MAGIC identity[32] flags:u32 length:u32 message[length]
 *            flags bit 0: the message was cut at NS_MAX_MESSAGE_BYTES;
 *            length <= NS_MAX_MESSAGE_BYTES
 *   reply    SERVE_MAGIC status:u32 length:u32 value[length]
 *            length <= NS_SERVE_MAX_VALUE; the value only with SERVE_OK
 * One request per connection. Every read and write has a deadline
 * (NS_SERVE_IO_MS on the server, the filter's share of its own).
 *
 * Ownership: returned strings are (transfer full); GBytes handed to a
 * ServeJudgeFunc are (transfer none). */
#ifndef NDRSIFT_SERVE_H
#define NDRSIFT_SERVE_H

#include <glib.h>
#include <sys/stat.h>

#include "ndrsift/config.h"

#define SERVE_MAGIC "NDRSIFT-SERVE/1\n"
#define SERVE_MAGIC_LEN 16
#define SERVE_IDENTITY_LEN 32

typedef enum {
	SERVE_OK = 0,           /* the value is the verdict header's value */
	SERVE_OTHER_CONFIG = 1, /* the server's identity is another */
	SERVE_REFUSED = 2,      /* busy, a bad request, rules that do not load, a sent log it cannot read */
	SERVE_NOT_YOURS = 3,    /* the client could not read a file the judgement reads */
} ServeStatus;

#define SERVE_ERROR (serve_error_quark ())
GQuark serve_error_quark (void);

/* What a filter and a server must share to judge alike (see above). */
void serve_identity (const Config *config, guint8 out[SERVE_IDENTITY_LEN]);

/* The state of the files a judgement reads besides the message and the
 * sent log: the config file, the rule directories and their *.rules and
 * *.formats files (device, inode, size, times, mode), as a digest. Equal
 * stamps: nothing changed. files: (nullable) gets the struct stat of each
 * of them that exists, for serve_may_read. */
void serve_files_stamp (const Config *config, guint8 out[SERVE_IDENTITY_LEN], GArray *files);

/* Whether the user uid (primary group gid) may read st (a directory:
 * list and search it; search only: only search it), by its mode bits;
 * root may. */
gboolean serve_may_read (guint uid, guint gid, const struct stat *st, gboolean search_only);

/* Whether value (n bytes) can be a verdict header's value: printable
 * ASCII, with "\n\t" folds only, starting with a verdict word and ';'. */
gboolean serve_value_valid (const char *value, gsize n);

/* filter's side: asks the server at config->filter_server to judge
 * message (len bytes; cut: it was cut at NS_MAX_MESSAGE_BYTES), within
 * timeout_ms in all. Returns: (transfer full) the verdict header's value,
 * or NULL with error saying why (the caller then judges itself). */
char *serve_ask (const Config *config, const guint8 *message, gsize len, gboolean cut, int timeout_ms,
                 GError **error);

/* The exchange on a connected socket, for serve_ask and the tests. */
char *serve_exchange (int fd, const guint8 identity[SERVE_IDENTITY_LEN], const guint8 *message, gsize len,
                      gboolean cut, gint64 deadline_us, GError **error);

/* The server's judgement of one request from the user uid, primary
 * group gid (SO_PEERCRED): *value (transfer full) with SERVE_OK. message
 * is (transfer none). */
typedef ServeStatus (*ServeJudgeFunc) (const guint8 identity[SERVE_IDENTITY_LEN], GBytes *message, gboolean cut,
                                       guint uid, guint gid, char **value, gpointer data);

/* A listening unix socket at path, mode 0666 (every local user's filter
 * may ask). A socket left there by a server that is gone is replaced;
 * anything else at the path, or a server that answers, is an error.
 * Returns: the socket, or -1 with error. */
int serve_listen (const char *path, GError **error);

/* Serves one connection: reads the request, judges it, replies; each
 * within NS_SERVE_IO_MS. Returns: FALSE with error for a request that was
 * not one (it was refused). Does not close fd. */
gboolean serve_handle (int fd, ServeJudgeFunc judge, gpointer data, GError **error);

/* Replies SERVE_REFUSED without reading (the queue is full). */
void serve_refuse (int fd);

#endif
