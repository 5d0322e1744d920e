/* report — RFC 3464/6533 delivery-status fields. See include/ndrsift/report.h.
 *
 * One pass over the text, line by line; a field's continuation lines are
 * joined before the field is stored. Unknown fields are ignored. */
#include <string.h>

#include "ndrsift/headers.h"
#include "ndrsift/limits.h"
#include "ndrsift/report.h"

static void
recipient_free (gpointer data)
{
	ReportRecipient *r = data;
	g_free (r->final_recipient);
	g_free (r->original_recipient);
	g_free (r->action);
	g_free (r->status);
	g_free (r->remote_mta);
	g_free (r->diagnostic);
	g_free (r->last_attempt_date);
	g_free (r);
}

void
report_free (Report *report)
{
	if (report == NULL)
		return;
	g_free (report->reporting_mta);
	g_free (report->arrival_date);
	g_free (report->original_envelope_id);
	g_free (report->received_from_mta);
	g_ptr_array_unref (report->recipients);
	g_free (report);
}

/* "rfc822; a@b" -> "a@b": drops a leading "type;" when the type is an
 * atom (letters, digits, '-'), which is what RFC 3464 allows there. */
static char *
untyped (const char *value)
{
	const char *p = value;
	while (g_ascii_isalnum (*p) || *p == '-')
		p++;
	if (p > value && *p == ';') {
		p++;
		while (*p == ' ')
			p++;
		return g_strdup (p);
	}
	return g_strdup (value);
}

/* Marks "in a recipient group past NS_MAX_DSN_RECIPIENTS"; never written. */
static ReportRecipient dropped_group;

/* Stores one field. Per-message fields go to the report wherever they
 * stand; a per-recipient field goes to the current recipient, opening one
 * when there is none (a group without Final-Recipient, or a report that
 * puts everything in one group) or when a second Final-Recipient starts
 * the next recipient. Returns TRUE when the field is one we know. */
static gboolean
store (Report *report, ReportRecipient **current, const char *name, const char *raw)
{
	g_autofree char *value = headers_clean_value (raw);
	char **slot;
	gboolean typed = FALSE;

#define IS(n) (g_ascii_strcasecmp (name, n) == 0)
	if (IS ("Reporting-MTA"))             { slot = &report->reporting_mta; typed = TRUE; }
	else if (IS ("Arrival-Date"))         slot = &report->arrival_date;
	else if (IS ("Original-Envelope-Id")) slot = &report->original_envelope_id;
	else if (IS ("Received-From-MTA"))    { slot = &report->received_from_mta; typed = TRUE; }
	else if (IS ("Final-Recipient") || IS ("Original-Recipient") || IS ("Action") ||
	         IS ("Status") || IS ("Remote-MTA") || IS ("Diagnostic-Code") ||
	         IS ("Last-Attempt-Date")) {
		if (*current == &dropped_group && !IS ("Final-Recipient"))
			return TRUE; /* the rest of a group past the bound */
		if (*current == NULL || *current == &dropped_group ||
		    (IS ("Final-Recipient") && (*current)->final_recipient)) {
			if (report->recipients->len >= NS_MAX_DSN_RECIPIENTS) {
				/* Counted once per group; its other fields go nowhere. */
				report->recipients_dropped++;
				*current = &dropped_group;
				return TRUE;
			}
			*current = g_new0 (ReportRecipient, 1);
			g_ptr_array_add (report->recipients, *current);
		}
		ReportRecipient *r = *current;
		if (IS ("Final-Recipient"))         { slot = &r->final_recipient; typed = TRUE; }
		else if (IS ("Original-Recipient")) { slot = &r->original_recipient; typed = TRUE; }
		else if (IS ("Action"))             slot = &r->action;
		else if (IS ("Status"))             slot = &r->status;
		else if (IS ("Remote-MTA"))         { slot = &r->remote_mta; typed = TRUE; }
		else if (IS ("Diagnostic-Code"))    { slot = &r->diagnostic; typed = TRUE; }
		else                                slot = &r->last_attempt_date;
	} else
		return FALSE;
#undef IS
	if (*slot == NULL) /* the first occurrence wins */
		*slot = typed ? untyped (value) : g_strdup (value);
	return TRUE;
}

Report *
report_parse (const char *text, gsize len)
{
	g_autoptr (Report) report = g_new0 (Report, 1);
	ReportRecipient *current = NULL;
	g_autoptr (GString) value = g_string_new (NULL);
	g_autofree char *name = NULL;
	gboolean any = FALSE;

	report->recipients = g_ptr_array_new_with_free_func (recipient_free);
	if (text == NULL)
		return NULL;
	len = MIN (len, NS_MAX_DSN_BYTES);

	const char *p = text, *end = text + len;
	while (p < end) {
		const char *eol = p;
		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		gsize n = eol - p;
		gboolean blank = TRUE;
		for (gsize i = 0; i < n && blank; i++)
			blank = p[i] == ' ' || p[i] == '\t';

		if (!blank && (p[0] == ' ' || p[0] == '\t')) {
			if (name && value->len < NS_MAX_HEADER_VALUE) {
				g_string_append_c (value, ' ');
				g_string_append_len (value, p, MIN (n, NS_MAX_HEADER_VALUE));
			}
		} else {
			if (name) {
				any |= store (report, &current, name, value->str);
				g_clear_pointer (&name, g_free);
			}
			if (blank) {
				current = NULL; /* a blank line ends a group */
			} else {
				const char *colon = memchr (p, ':', n);
				if (colon && colon > p) {
					name = g_strstrip (g_strndup (p, colon - p));
					g_string_truncate (value, 0);
					g_string_append_len (value, colon + 1,
					                     MIN ((gsize) (eol - colon - 1), NS_MAX_HEADER_VALUE));
				}
			}
		}
		/* LF, CRLF and a lone CR each end one line. */
		p = eol;
		if (p < end && *p == '\r')
			p++;
		if (p < end && *p == '\n' && (p == eol || p[-1] == '\r'))
			p++;
	}
	if (name)
		any |= store (report, &current, name, value->str);

	if (!any)
		return NULL;
	for (guint i = 0; i < report->recipients->len; i++) {
		ReportRecipient *r = g_ptr_array_index (report->recipients, i);
		if (r->action) {
			char *lower = g_ascii_strdown (r->action, -1);
			g_free (r->action);
			r->action = lower;
		}
	}
	return g_steal_pointer (&report);
}
