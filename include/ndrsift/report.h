/* report — the fields of an RFC 3464 / RFC 6533 delivery-status report.
 *
 * A report is a per-message group of "Name: value" fields, then one group
 * per recipient, groups separated by blank lines; fields may be folded.
 * Values are unfolded and trimmed; the type prefix of typed fields is
 * dropped ("rfc822; a@b" -> "a@b", "dns; mx.example" -> "mx.example",
 * "smtp; 550 ..." -> "550 ..."). LF, CRLF and CR-only text all work.
 *
 * Limits: NS_MAX_DSN_BYTES of text, NS_MAX_DSN_RECIPIENTS groups (the rest
 * counted in recipients_dropped), NS_MAX_HEADER_VALUE per value.
 *
 * Ownership: report_parse() returns (transfer full) a Report that owns
 * everything in it; free it with report_free() or g_autoptr. */
#ifndef NDRSIFT_REPORT_H
#define NDRSIFT_REPORT_H

#include <glib.h>

typedef struct {
	char *final_recipient;
	char *original_recipient;
	char *action;              /* lower-cased: failed, delayed, delivered, relayed, expanded */
	char *status;              /* e.g. "5.1.1" */
	char *remote_mta;
	char *diagnostic;          /* Diagnostic-Code without its type */
	char *last_attempt_date;
} ReportRecipient;

typedef struct {
	char *reporting_mta;
	char *arrival_date;
	char *original_envelope_id;
	char *received_from_mta;
	GPtrArray *recipients;     /* ReportRecipient*, in order */
	guint recipients_dropped;
} Report;

/* Returns: (transfer full) the report, or NULL when the text holds none of
 * the fields above. */
Report *report_parse (const char *text, gsize len);

void report_free (Report *report);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Report, report_free)

#endif
