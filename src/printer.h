/* printer — every way a verdict is printed, as printers over one record.
 *
 * In the spirit of notmuch's sprinter: the front ends pick a printer by
 * name and hand it the per-message record (PrinterMessage: where the
 * message came from and its Verdict); none formats a verdict itself.
 *
 *   check         "FILE: VERDICT score=S kind=K tests=T" (FILE@OFFSET for a
 *                 message of an mbox; tests=none)
 *   text          scan's line: the same in aligned columns
 *   csv           an RFC 4180 row, CRLF; the header row first (head)
 *   jsonl         the scan record of doc/design.md, compact, on one line
 *   html          nothing per message; the HTML report (htmlreport) at the end
 *   explain       every fact and where it was found, every rule, the verdict
 *   explain-json  the jsonl record with `facts` and `rules`, pretty
 *
 * scan's formats (text, csv, jsonl, html: `scan` is set) also say what
 * follows a batch: the text summary on stdout after a blank line (text),
 * on stderr (csv and jsonl: stdout holds only records), or the HTML
 * report.
 *
 * Every record ends with its line end. Scores are printed one way
 * (number.h SCORE; the JSON number is the value the text shows), every
 * number in any locale with a point; text for a terminal is escaped
 * (output.h); all JSON is json-glib's, every string made valid UTF-8.
 * record() may run in many threads at once: each thread keeps one JSON
 * tree and one compact generator for its life (freed when it ends).
 *
 * Ownership: printers are static, (transfer none); printer_message() and
 * summary() return (transfer full) text; record() appends to the
 * caller's string. */
#ifndef NDRSIFT_PRINTER_H
#define NDRSIFT_PRINTER_H

#include <glib.h>

#include "summary.h"
#include "ndrsift/verdict.h"

/* The record every printer prints. */
typedef struct {
	const char *source;       /* the file, mailbox or "-" it came from */
	gint64 offset;            /* its offset in an mbox; < 0: a file of its own */
	const Verdict *verdict;
} PrinterMessage;

typedef struct {
	const char *name;
	gboolean scan;            /* one of scan's --format */
	const char *head;         /* before the first record, or NULL */
	gsize room;               /* bytes of a typical record */
	/* Appends one message's record; NULL: nothing per message. */
	void (*record) (GString *out, const PrinterMessage *m);
	/* What follows a batch (NULL: nothing); *to_stderr: it goes to
	 * standard error. Returns: (transfer full). */
	char *(*summary) (const Summary *s, gboolean *to_stderr);
} Printer;

/* Returns: (transfer none) the printer of that name, or NULL. */
const Printer *printer_find (const char *name);

/* One message's record as a string ("" for html). Returns: (transfer full). */
char *printer_message (const Printer *p, const char *source, gint64 offset, const Verdict *v);

#endif
