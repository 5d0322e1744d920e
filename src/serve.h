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
 * other local user put at the path is not asked. The server answers whoever
 * can connect: a verdict says no more than `ndrsift check` would, with the
 * sent log every local user can read.
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

#include "ndrsift/config.h"

#define SERVE_MAGIC "NDRSIFT-SERVE/1\n"
#define SERVE_MAGIC_LEN 16
#define SERVE_IDENTITY_LEN 32

typedef enum {
	SERVE_OK = 0,           /* the value is the verdict header's value */
	SERVE_OTHER_CONFIG = 1, /* the server's identity is another */
	SERVE_REFUSED = 2,      /* busy, a bad request, rules that do not load */
} ServeStatus;

#define SERVE_ERROR (serve_error_quark ())
GQuark serve_error_quark (void);

/* What a filter and a server must share to judge alike (see above). */
void serve_identity (const Config *config, guint8 out[SERVE_IDENTITY_LEN]);

/* The state of the files a judgement reads besides the message: the
 * config file and the *.rules and *.formats files of the rule directories
 * (device, inode, size, times), as a digest. Equal stamps: nothing
 * changed. */
void serve_files_stamp (const Config *config, guint8 out[SERVE_IDENTITY_LEN]);

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

/* The server's judgement of one request: *value (transfer full) with
 * SERVE_OK. message is (transfer none). */
typedef ServeStatus (*ServeJudgeFunc) (const guint8 identity[SERVE_IDENTITY_LEN], GBytes *message, gboolean cut,
                                       char **value, gpointer data);

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
