/* summary — scan's counts and text summary. See src/summary.h. */
#include <string.h>

#include "address.h"
#include "ndrsift/limits.h"
#include "output.h"
#include "ndrsift/received.h"
#include "summary.h"

#define OTHER "(other)"

typedef struct {
	guint64 n[VERDICT_N_CLASSES];
} DayCount;

struct _Summary {
	guint64 messages, errors;
	guint64 by_verdict[VERDICT_N_CLASSES];
	guint64 by_kind[BOUNCE_N_KINDS];
	GHashTable *days;          /* "YYYY-MM-DD" or "unknown" -> DayCount* */
	GHashTable *tables[3];     /* SummaryTable: name -> SummaryEntry* */
	GPtrArray *legit;          /* SummaryItem*, input order */
	guint64 legit_more;
};

/* ---- the worker's part --------------------------------------------------- */

/* "Name <a@b>" -> "a@b", normalised (doc/design.md "Verdict policy"). */
static char *
envelope_address (const char *value)
{
	g_autofree char *first = headers_first_address (value);
	return address_normalise (first, NULL);
}

static char *
join_recipients (const Report *r, gboolean status)
{
	if (r == NULL || r->recipients->len == 0)
		return NULL;
	GString *out = g_string_new (NULL);
	for (guint i = 0; i < r->recipients->len; i++) {
		const ReportRecipient *rr = g_ptr_array_index (r->recipients, i);
		const char *value = status ? rr->status : rr->final_recipient;
		if (value == NULL)
			continue;
		if (i == 8) {
			g_string_append_printf (out, ", … (%u in all)", r->recipients->len);
			break;
		}
		g_string_append_printf (out, "%s%s", out->len ? ", " : "", value);
	}
	if (out->len == 0) {
		g_string_free (out, TRUE);
		return NULL;
	}
	return g_string_free (out, FALSE);
}

SummaryItem *
summary_item_new (const Verdict *v, const char *source, gint64 offset)
{
	const Bounce *b = v->bounce;
	SummaryItem *item = g_new0 (SummaryItem, 1);
	item->verdict = v->verdict;
	item->kind = b->kind;
	item->arrival_time = b->arrival_time;
	item->offset = offset;
	if (b->kind != BOUNCE_KIND_NONE) {
		item->reporting_mta = g_strdup (b->reporting_mta);
		if (b->top_hop && b->top_hop->from_ip)
			item->reporting_addr = g_strdup (b->top_hop->from_ip);
	}

	if (v->verdict == VERDICT_FORGED) {
		/* The envelope recipient the verdict judged (bounce.h). */
		item->impersonated = envelope_address (v->recipient);
		const BounceOriginal *o = b->original;
		if (o && v->handoff >= 0 && (guint) v->handoff < o->received->len) {
			const ReceivedHop *hop = g_ptr_array_index (o->received, v->handoff);
			const char *who = hop->from_ip ? hop->from_ip : hop->from_rdns;
			item->origin = who ? g_ascii_strdown (who, -1) : NULL;
		}
	}
	if (v->verdict == VERDICT_LEGIT) {
		item->source = g_strdup (source);
		item->final_recipients = join_recipients (b->report, FALSE);
		if (item->final_recipients == NULL && b->original && b->original->to)
			item->final_recipients = g_strdup (b->original->to);
		item->status = join_recipients (b->report, TRUE);
		for (guint i = 0; b->report && i < b->report->recipients->len && !item->diagnostic; i++) {
			const ReportRecipient *rr = g_ptr_array_index (b->report->recipients, i);
			if (rr->diagnostic)
				item->diagnostic = g_strdup (rr->diagnostic);
		}
		if (item->diagnostic == NULL && b->headers) {
			const char *subject = headers_get (b->headers, "Subject");
			item->diagnostic = subject ? g_strdup (subject) : NULL;
		}
	}
	return item;
}

void
summary_item_free (SummaryItem *item)
{
	if (item == NULL)
		return;
	g_free (item->reporting_mta);
	g_free (item->reporting_addr);
	g_free (item->impersonated);
	g_free (item->origin);
	g_free (item->source);
	g_free (item->final_recipients);
	g_free (item->status);
	g_free (item->diagnostic);
	g_free (item);
}

/* ---- counting (main thread) ---------------------------------------------- */

static void
entry_free (gpointer p)
{
	SummaryEntry *e = p;
	g_free (e->name);
	if (e->addresses)
		g_ptr_array_unref (e->addresses);
	g_free (e);
}

Summary *
summary_new (void)
{
	Summary *s = g_new0 (Summary, 1);
	s->days = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	for (guint i = 0; i < G_N_ELEMENTS (s->tables); i++)
		s->tables[i] = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
	s->legit = g_ptr_array_new_with_free_func ((GDestroyNotify) summary_item_free);
	return s;
}

void
summary_free (Summary *s)
{
	if (s == NULL)
		return;
	g_hash_table_destroy (s->days);
	for (guint i = 0; i < G_N_ELEMENTS (s->tables); i++)
		g_hash_table_destroy (s->tables[i]);
	g_ptr_array_unref (s->legit);
	g_free (s);
}

/* The UTC date of Unix seconds t (Howard Hinnant's civil_from_days). */
static void
utc_day (gint64 t, char out[16])
{
	gint64 z = (t >= 0 ? t : t - 86399) / 86400 + 719468;
	gint64 era = (z >= 0 ? z : z - 146096) / 146097;
	gint64 doe = z - era * 146097;
	gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	gint64 y = yoe + era * 400;
	gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	gint64 mp = (5 * doy + 2) / 153;
	gint64 d = doy - (153 * mp + 2) / 5 + 1;
	gint64 m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y < 0 || y > 9999)
		g_strlcpy (out, "unknown", 16);
	else
		g_snprintf (out, 16, "%04d-%02d-%02d", (int) y, (int) m, (int) d);
}

static void
count (Summary *s, SummaryTable table, const char *name, const char *addr)
{
	if (name == NULL)
		return;
	GHashTable *h = s->tables[table];
	SummaryEntry *e = g_hash_table_lookup (h, name);
	if (e == NULL && g_hash_table_size (h) >= SUMMARY_MAX_KEYS) {
		name = OTHER;
		addr = NULL;
		e = g_hash_table_lookup (h, name);
	}
	if (e == NULL) {
		e = g_new0 (SummaryEntry, 1);
		e->name = g_strdup (name);
		if (table == SUMMARY_MTAS)
			e->addresses = g_ptr_array_new_with_free_func (g_free);
		g_hash_table_insert (h, e->name, e);
	}
	e->count++;
	if (addr && e->addresses && e->addresses->len < SUMMARY_MAX_ADDRESSES
	    && !g_ptr_array_find_with_equal_func (e->addresses, addr, g_str_equal, NULL))
		g_ptr_array_add (e->addresses, g_strdup (addr));
}

void
summary_add (Summary *s, SummaryItem *item)
{
	VerdictClass v = item->verdict <= VERDICT_ERROR ? item->verdict : VERDICT_ERROR;
	s->messages++;
	s->by_verdict[v]++;
	if ((int) item->kind >= 0 && item->kind < BOUNCE_N_KINDS)
		s->by_kind[item->kind]++;

	char day[16];
	if (item->arrival_time)
		utc_day (item->arrival_time, day);
	else
		g_strlcpy (day, "unknown", sizeof day);
	DayCount *dc = g_hash_table_lookup (s->days, day);
	if (dc == NULL && g_hash_table_size (s->days) >= SUMMARY_MAX_KEYS) {
		g_strlcpy (day, OTHER, sizeof day);
		dc = g_hash_table_lookup (s->days, day);
	}
	if (dc == NULL) {
		dc = g_new0 (DayCount, 1);
		g_hash_table_insert (s->days, g_strdup (day), dc);
	}
	dc->n[v]++;

	count (s, SUMMARY_MTAS, item->reporting_mta, item->reporting_addr);
	count (s, SUMMARY_IMPERSONATED, item->impersonated, NULL);
	count (s, SUMMARY_ORIGINS, item->origin, NULL);

	if (v == VERDICT_LEGIT && s->legit->len < NS_MAX_SUMMARY_LEGIT) {
		g_ptr_array_add (s->legit, item);
		return;
	}
	if (v == VERDICT_LEGIT)
		s->legit_more++;
	summary_item_free (item);
}

void
summary_add_error (Summary *s)
{
	s->errors++;
}

guint64
summary_messages (const Summary *s)
{
	return s->messages;
}

guint64
summary_errors (const Summary *s)
{
	return s->errors;
}

guint64
summary_count_verdict (const Summary *s, VerdictClass v)
{
	return v <= VERDICT_ERROR ? s->by_verdict[v] : 0;
}

guint64
summary_count_kind (const Summary *s, BounceKind k)
{
	return (int) k >= 0 && k < BOUNCE_N_KINDS ? s->by_kind[k] : 0;
}

guint64
summary_count_day (const Summary *s, const char *day, VerdictClass v)
{
	const DayCount *dc = g_hash_table_lookup (s->days, day);
	return dc && v <= VERDICT_ERROR ? dc->n[v] : 0;
}

const GPtrArray *
summary_legit (const Summary *s, guint64 *more)
{
	if (more)
		*more = s->legit_more;
	return s->legit;
}

/* (g_hash_table_get_*_as_ptr_array need GLib 2.76.) */
static GPtrArray *
table_list (GHashTable *h, gboolean keys)
{
	GPtrArray *all = g_ptr_array_sized_new (g_hash_table_size (h));
	GHashTableIter iter;
	gpointer key, value;
	g_hash_table_iter_init (&iter, h);
	while (g_hash_table_iter_next (&iter, &key, &value))
		g_ptr_array_add (all, keys ? key : value);
	return all;
}

static int
by_count_then_name (gconstpointer a, gconstpointer b)
{
	const SummaryEntry *x = *(const SummaryEntry *const *) a, *y = *(const SummaryEntry *const *) b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp (x->name, y->name);
}

GPtrArray *
summary_top (const Summary *s, SummaryTable table, guint max)
{
	GPtrArray *all = table_list (s->tables[table], FALSE);
	g_ptr_array_sort (all, by_count_then_name);
	if (all->len > max)
		g_ptr_array_set_size (all, max);
	return all;
}

/* Days in order ("unknown" and "(other)" sort after the dates: digits
 * come before letters and '(' is dealt with here). */
static int
day_order (gconstpointer a, gconstpointer b)
{
	const char *x = *(const char *const *) a, *y = *(const char *const *) b;
	gboolean xd = g_ascii_isdigit (*x), yd = g_ascii_isdigit (*y);
	if (xd != yd)
		return xd ? -1 : 1;
	return strcmp (x, y);
}

GPtrArray *
summary_days (const Summary *s)
{
	GPtrArray *days = table_list (s->days, TRUE);
	g_ptr_array_sort (days, day_order);
	return days;
}

/* ---- text ---------------------------------------------------------------- */

static const char *const table_titles[] = {
	[SUMMARY_MTAS] = "Top reporting MTAs",
	[SUMMARY_IMPERSONATED] = "Top impersonated local senders (recipients of forged bounces)",
	[SUMMARY_ORIGINS] = "Top origins of forged originals (hand-off hop)",
};

static void
counts_line (GString *out, const Summary *s)
{
	g_string_append_printf (out, "%" G_GUINT64_FORMAT " messages", s->messages);
	for (int v = 0; v < VERDICT_N_CLASSES; v++)
		if (s->by_verdict[v])
			g_string_append_printf (out, ", %s %" G_GUINT64_FORMAT, verdict_name (v), s->by_verdict[v]);
	g_string_append (out, "; kinds:");
	for (int k = 0; k < BOUNCE_N_KINDS; k++)
		if (s->by_kind[k])
			g_string_append_printf (out, " %s %" G_GUINT64_FORMAT, bounce_kind_name (k), s->by_kind[k]);
	if (s->errors)
		g_string_append_printf (out, "; %" G_GUINT64_FORMAT " unreadable", s->errors);
	g_string_append_c (out, '\n');
}

char *
summary_text (const Summary *s)
{
	GString *out = g_string_new (NULL);
	counts_line (out, s);

	g_string_append_printf (out, "\nLegit bounces (real delivery failures): %" G_GUINT64_FORMAT "\n",
	                        s->by_verdict[VERDICT_LEGIT]);
	for (guint i = 0; i < s->legit->len; i++) {
		const SummaryItem *it = g_ptr_array_index (s->legit, i);
		g_autofree char *src = output_escape (it->source);
		g_autofree char *rcpt = output_escape (it->final_recipients);
		g_autofree char *status = output_escape (it->status);
		g_autofree char *diag = output_escape (it->diagnostic);
		if (it->offset >= 0)
			g_string_append_printf (out, "  %s@%" G_GINT64_FORMAT, src, it->offset);
		else
			g_string_append_printf (out, "  %s", src);
		g_string_append_printf (out, "  to %s  status %s  %s\n", rcpt, status, diag);
	}
	if (s->legit_more)
		g_string_append_printf (out, "  ... and %" G_GUINT64_FORMAT " more\n", s->legit_more);

	for (SummaryTable t = SUMMARY_MTAS; t <= SUMMARY_ORIGINS; t++) {
		g_autoptr (GPtrArray) top = summary_top (s, t, SUMMARY_TOP);
		g_string_append_printf (out, "\n%s:%s\n", table_titles[t], top->len ? "" : " none");
		for (guint i = 0; i < top->len; i++) {
			const SummaryEntry *e = g_ptr_array_index (top, i);
			g_autofree char *name = output_escape (e->name);
			g_string_append_printf (out, "  %8" G_GUINT64_FORMAT "  %s", e->count, name);
			for (guint j = 0; e->addresses && j < e->addresses->len; j++) {
				g_autofree char *a = output_escape (g_ptr_array_index (e->addresses, j));
				g_string_append_printf (out, "%s%s", j ? ", " : " (", a);
			}
			g_string_append (out, e->addresses && e->addresses->len ? ")\n" : "\n");
		}
	}

	g_autoptr (GPtrArray) days = summary_days (s);
	g_string_append_printf (out, "\nBounces per day (UTC arrival):%s\n", days->len ? "" : " none");
	for (guint i = 0; i < days->len; i++) {
		const char *day = g_ptr_array_index (days, i);
		const DayCount *dc = g_hash_table_lookup (s->days, day);
		guint64 total = 0;
		for (int v = 0; v < VERDICT_N_CLASSES; v++)
			total += dc->n[v];
		g_string_append_printf (out, "  %-10s %8" G_GUINT64_FORMAT, day, total);
		for (int v = 0; v < VERDICT_N_CLASSES; v++)
			if (dc->n[v])
				g_string_append_printf (out, "  %s %" G_GUINT64_FORMAT, verdict_name (v), dc->n[v]);
		g_string_append_c (out, '\n');
	}
	return g_string_free (out, FALSE);
}
