/* logparse-private.h — the dispatcher (logparse.c) and the per-format
 * files: the parser's layout and each format's operations table. Not
 * installed; see src/logparse.h for the contract. A format
 * includes this for the types only: it calls src/logline.h, never
 * logparse.c. */
#ifndef NDRSIFT_LOGPARSE_PRIVATE_H
#define NDRSIFT_LOGPARSE_PRIVATE_H

#include "logline.h"
#include "logparse.h"

struct _LogParser {
	const struct _LogFormatOps *ops;
	LogLineState line;      /* what every format shares (src/logline.h) */
	gpointer state;         /* the format's own, freed with state_free */
	GDestroyNotify state_free;
};

/* One format. */
typedef struct _LogFormatOps {
	const char *name;       /* as --format names it */
	/* Reads one line (not longer than NS_MAX_LOG_LINE): see logparse_line. */
	gboolean (*line) (LogParser *p, const char *line, gsize len, LogEmitFunc emit,
	                  gpointer user_data, GError **error);
	/* Whether the first lines look like this format (for auto detection). */
	gboolean (*detect) (const char *head);
	/* A line before a checkpoint (logparse_skipped_line), not longer
	 * than NS_MAX_LOG_LINE; NULL: the format does not want them. */
	void (*skipped) (LogParser *p, const char *line, gsize len);
} LogFormatOps;

/* One table per format, in logparse_FORMAT.c. */
extern const LogFormatOps logparse_postfix_ops;
extern const LogFormatOps logparse_exim_ops;
extern const LogFormatOps logparse_sendmail_ops;
extern const LogFormatOps logparse_exchange_ops;
extern const LogFormatOps logparse_jsonl_ops;

#endif
