/* summary — what `scan` tells an admin about a whole batch of bounces,
 * and its text summary (the HTML report is htmlreport's).
 *
 * Work is split in two so that the workers do the little per-message work
 * and the main thread only counts:
 *   - summary_item_new() runs IN THE WORKER THREAD, while the Verdict is
 *     still alive (it is freed there), and copies out the few strings the
 *     summary needs: the verdict and kind, the arrival day, the reporting
 *     MTA and its address, for a forged bounce the impersonated local
 *     address and the origin of the forged original, for a legit bounce
 *     where it is and what failed. No JSON, no formatting.
 *   - summary_add() runs in the main thread, in input order, and adds an
 *     item to the counts.
 *
 * What is counted (doc/design.md "Verdict policy"; the batch audit):
 *   - messages by verdict and by kind, unreadable inputs;
 *   - the legit bounces in input order (real delivery failures the admin
 *     must not miss): source, final recipient(s), status, diagnostic;
 *   - top impersonated local senders: the envelope recipient of the
 *     forged bounces (X-Original-To, else Delivered-To, else To; the
 *     address normalised as doc/design.md "Verdict policy" says, without removing
 *     an extension: there is no recipient delimiter here);
 *   - top reporting MTAs of every bounce (kind other than none):
 *     Bounce.reporting_mta, which the parser sets (the report's
 *     Reporting-MTA, else the sending host of the bounce's topmost
 *     Received line); with the client addresses of that line;
 *   - top origins of forged originals: the hand-off hop's client address
 *     (Verdict.handoff), else its reverse-DNS name;
 *   - bounces per UTC day of Bounce.arrival_time, by verdict ("unknown"
 *     when the arrival is not known).
 *
 * Limits (bounded memory whatever the input): at most
 * NS_MAX_SUMMARY_LEGIT legit bounces are listed, the rest only counted;
 * each table of counts (days, MTAs, impersonated, origins) holds at most
 * SUMMARY_MAX_KEYS distinct keys, later new keys count under "(other)";
 * at most SUMMARY_MAX_ADDRESSES addresses are kept per MTA. Strings kept
 * are cut at NS_MAX_HEADER_VALUE by the parser already. Top lists have
 * SUMMARY_TOP entries, by count, ties broken by name (strcmp order).
 *
 * Ownership: summary_new() and summary_item_new() return (transfer full)
 * objects; summary_add() takes the item (transfer full); summary_text()
 * returns a (transfer full) string; summary_top() and summary_days()
 * return (transfer container) arrays of what the summary owns. A Summary is used by one
 * thread; items may be made by any thread. */
#ifndef NDRSIFT_SUMMARY_H
#define NDRSIFT_SUMMARY_H

#include <glib.h>

#include "ndrsift/verdict.h"

#define SUMMARY_TOP 10
#define SUMMARY_MAX_KEYS 100000
#define SUMMARY_MAX_ADDRESSES 4

typedef struct {
	VerdictClass verdict;
	BounceKind kind;
	gint64 arrival_time;       /* Unix seconds, 0 when unknown */
	char *reporting_mta;       /* NULL for kind none or when unknown */
	char *reporting_addr;      /* client address of the bounce's topmost Received, or NULL */
	char *impersonated;        /* forged only: our user whose address was forged */
	char *origin;              /* forged only: who handed the forged original off */
	/* legit only: */
	char *source;
	gint64 offset;             /* < 0: a single-message file */
	char *final_recipients;    /* comma-separated, or the original's To */
	char *status;              /* comma-separated, or NULL */
	char *diagnostic;          /* the first Diagnostic-Code, else the bounce's Subject */
} SummaryItem;

typedef enum {
	SUMMARY_MTAS,
	SUMMARY_IMPERSONATED,
	SUMMARY_ORIGINS,
} SummaryTable;

typedef struct {
	char *name;
	guint64 count;
	GPtrArray *addresses;      /* char*, at most SUMMARY_MAX_ADDRESSES (MTAs only) */
} SummaryEntry;

typedef struct _Summary Summary;

/* In the worker: the summary's share of one verdict.
 * Returns: (transfer full). */
SummaryItem *summary_item_new (const Verdict *v, const char *source, gint64 offset);
void summary_item_free (SummaryItem *item);

Summary *summary_new (void);
void summary_free (Summary *s);

/* In the main thread, in input order. item: (transfer full). */
void summary_add (Summary *s, SummaryItem *item);
/* An input that could not be read. */
void summary_add_error (Summary *s);

guint64 summary_messages (const Summary *s);
/* Inputs that could not be read (summary_add_error). */
guint64 summary_errors (const Summary *s);
guint64 summary_count_verdict (const Summary *s, VerdictClass v);
guint64 summary_count_kind (const Summary *s, BounceKind k);
/* day: "YYYY-MM-DD" (UTC) or "unknown". */
guint64 summary_count_day (const Summary *s, const char *day, VerdictClass v);
/* Returns: (transfer container) the days counted, "YYYY-MM-DD" in order,
 * then "unknown" and "(other)". */
GPtrArray *summary_days (const Summary *s);
/* Returns: (transfer none) the listed legit items; *more: how many legit
 * bounces were past NS_MAX_SUMMARY_LEGIT. */
const GPtrArray *summary_legit (const Summary *s, guint64 *more);
/* Returns: (transfer container) const SummaryEntry*, at most max, by
 * count then name. */
GPtrArray *summary_top (const Summary *s, SummaryTable table, guint max);

/* The text summary: the counts line, the legit bounces, the top lists,
 * bounces per day; every value escaped for a terminal. */
char *summary_text (const Summary *s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Summary, summary_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SummaryItem, summary_item_free)

#endif
