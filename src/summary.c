/* summary — scan's counts, text summary and HTML report. See
 * include/ndrsift/summary.h. */
#include <stdio.h>
#include <string.h>

#include "ndrsift/address.h"
#include "ndrsift/limits.h"
#include "ndrsift/number.h"
#include "ndrsift/output.h"
#include "ndrsift/received.h"
#include "ndrsift/summary.h"

#define N_VERDICTS (VERDICT_ERROR + 1)
#define N_KINDS (BOUNCE_KIND_FEEDBACK + 1)
#define OTHER "(other)"

typedef struct {
	guint64 n[N_VERDICTS];
} DayCount;

struct _Summary {
	guint64 messages, errors;
	guint64 by_verdict[N_VERDICTS];
	guint64 by_kind[N_KINDS];
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
	if (value == NULL || *value == '\0')
		return NULL;
	const char *lt = strchr (value, '<');
	const char *gt = lt ? strchr (lt + 1, '>') : NULL;
	g_autofree char *inner = NULL;
	if (gt && memchr (lt + 1, '@', gt - lt - 1))
		inner = g_strndup (lt + 1, gt - lt - 1);
	else {
		/* A list: the first address. */
		const char *comma = strchr (value, ',');
		inner = comma ? g_strndup (value, comma - value) : g_strdup (value);
	}
	g_strstrip (inner);
	if (*inner == '\0')
		return NULL;
	return address_normalise (inner, NULL);
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
		static const char *const names[] = { "X-Original-To", "Delivered-To", "To" };
		for (guint i = 0; i < G_N_ELEMENTS (names) && !item->impersonated && b->headers; i++)
			item->impersonated = envelope_address (headers_get (b->headers, names[i]));
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
	if ((int) item->kind >= 0 && item->kind < N_KINDS)
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
summary_count_verdict (const Summary *s, VerdictClass v)
{
	return v <= VERDICT_ERROR ? s->by_verdict[v] : 0;
}

guint64
summary_count_kind (const Summary *s, BounceKind k)
{
	return (int) k >= 0 && k < N_KINDS ? s->by_kind[k] : 0;
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

static GPtrArray *
sorted_days (const Summary *s)
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
	for (int v = 0; v < N_VERDICTS; v++)
		if (s->by_verdict[v])
			g_string_append_printf (out, ", %s %" G_GUINT64_FORMAT, verdict_name (v), s->by_verdict[v]);
	g_string_append (out, "; kinds:");
	for (int k = 0; k < N_KINDS; k++)
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

	g_autoptr (GPtrArray) days = sorted_days (s);
	g_string_append_printf (out, "\nBounces per day (UTC arrival):%s\n", days->len ? "" : " none");
	for (guint i = 0; i < days->len; i++) {
		const char *day = g_ptr_array_index (days, i);
		const DayCount *dc = g_hash_table_lookup (s->days, day);
		guint64 total = 0;
		for (int v = 0; v < N_VERDICTS; v++)
			total += dc->n[v];
		g_string_append_printf (out, "  %-10s %8" G_GUINT64_FORMAT, day, total);
		for (int v = 0; v < N_VERDICTS; v++)
			if (dc->n[v])
				g_string_append_printf (out, "  %s %" G_GUINT64_FORMAT, verdict_name (v), dc->n[v]);
		g_string_append_c (out, '\n');
	}
	return g_string_free (out, FALSE);
}

/* ---- HTML ---------------------------------------------------------------- */

/* Drawing order of the stacked bars, bottom first, and the colours. */
static const VerdictClass stack_order[] = { VERDICT_FORGED, VERDICT_LEGIT, VERDICT_UNKNOWN,
	                                        VERDICT_NONE, VERDICT_ERROR };
static const char *const verdict_colour[N_VERDICTS] = {
	[VERDICT_NONE] = "#9aa0a6",
	[VERDICT_UNKNOWN] = "#f2a900",
	[VERDICT_LEGIT] = "#1e8e3e",
	[VERDICT_FORGED] = "#d93025",
	[VERDICT_ERROR] = "#7b1fa2",
};

/* Appends text from a message: valid UTF-8, escaped; NULL as "–". */
static void
esc (GString *out, const char *text)
{
	if (text == NULL) {
		g_string_append (out, "–");
		return;
	}
	g_autofree char *valid = g_utf8_make_valid (text, -1);
	/* No control characters in the document (XML 1.0 forbids most). */
	for (char *p = valid; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			*p = ' ';
	g_autofree char *e = g_markup_escape_text (valid, -1);
	g_string_append (out, e);
}

/* Appends text cut to max characters, with "…" where it was cut: at the
 * end, or at the start when keep_end (a host name's domain says most). */
static void
esc_cut_from (GString *out, const char *text, glong max, gboolean keep_end)
{
	g_autofree char *valid = g_utf8_make_valid (text ? text : "–", -1);
	glong len = g_utf8_strlen (valid, -1);
	if (len <= max) {
		esc (out, valid);
		return;
	}
	if (keep_end) {
		g_autofree char *cut = g_utf8_substring (valid, len - (max - 1), len);
		g_string_append (out, "…");
		esc (out, cut);
		return;
	}
	g_autofree char *cut = g_utf8_substring (valid, 0, max - 1);
	esc (out, cut);
	g_string_append (out, "…");
}

static void
esc_cut (GString *out, const char *text, glong max)
{
	esc_cut_from (out, text, max, FALSE);
}

static const char css[] =
	"*{box-sizing:border-box}"
	"body{margin:0;padding:24px 32px;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
	"'DejaVu Sans',sans-serif;color:#202124;background:#f4f6f8}"
	"h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:0 0 12px}"
	".sub{color:#5f6368;margin-bottom:20px}"
	".cards{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:20px}"
	".card{background:#fff;border-radius:8px;padding:12px 18px;min-width:130px;"
	"box-shadow:0 1px 3px rgba(0,0,0,.12);border-top:4px solid #5f6368}"
	".card .n{font-size:28px;font-weight:700}.card .l{color:#5f6368;font-size:13px}"
	".panel{background:#fff;border-radius:8px;padding:16px 20px;margin-bottom:20px;"
	"box-shadow:0 1px 3px rgba(0,0,0,.12)}"
	".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:20px;margin-bottom:20px;align-items:start}"
	".grid .panel{margin-bottom:0}"
	"table{border-collapse:collapse;width:100%;font-size:13px}"
	"th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e3e6e8;vertical-align:top}"
	"th{color:#5f6368;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}"
	"td.wrap{word-break:break-word}"
	".scroll{max-height:360px;overflow:auto}.scroll th{position:sticky;top:0;background:#fff}"
	".legit{border-left:5px solid #1e8e3e}.none{color:#5f6368}"
	".legend span{display:inline-block;margin-right:14px;font-size:13px}"
	".legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;"
	"vertical-align:-1px}"
	"svg text{font-family:inherit}"
	"footer{color:#5f6368;font-size:12px;margin-top:12px}";

static void
card (GString *out, const char *label, guint64 n, const char *colour)
{
	g_string_append_printf (out, "<div class=\"card\" style=\"border-top-color:%s\"><div class=\"n\">%"
	                        G_GUINT64_FORMAT "</div><div class=\"l\">%s</div></div>\n", colour, n, label);
}

/* A "nice" axis maximum at or above max: four grid steps of 1, 2 or 5
 * times a power of ten, so that every grid line is a whole number. */
static guint64
nice_max (guint64 max)
{
	guint64 want = (max + 3) / 4, p = 1;
	if (want <= 1)
		return 4;
	while (p * 10 < want)
		p *= 10;
	guint64 step = want <= p ? p : want <= 2 * p ? 2 * p : want <= 5 * p ? 5 * p : 10 * p;
	return step * 4;
}

/* The stacked bar chart of bounces per day; at most max_days, the latest. */
static void
chart_days (GString *out, const Summary *s)
{
	const guint max_days = 120;
	g_autoptr (GPtrArray) days = sorted_days (s);
	guint first = days->len > max_days ? days->len - max_days : 0;
	guint n = days->len - first;
	g_string_append (out, "<div class=\"panel\"><h2>Bounces per day (UTC arrival), by verdict</h2>\n");
	if (n == 0) {
		g_string_append (out, "<p class=\"none\">No messages.</p></div>\n");
		return;
	}
	if (first)
		g_string_append_printf (out, "<p class=\"none\">The latest %u of %u days.</p>\n", n, days->len);
	guint64 max = 0;
	for (guint i = first; i < days->len; i++) {
		const DayCount *dc = g_hash_table_lookup (s->days, g_ptr_array_index (days, i));
		guint64 t = 0;
		for (int v = 0; v < N_VERDICTS; v++)
			t += dc->n[v];
		max = MAX (max, t);
	}
	guint64 top = nice_max (max);
	const double W = 1080, H = 300, left = 50, right = 10, tp = 12, bottom = 58;
	double plot_w = W - left - right, plot_h = H - tp - bottom;
	double slot = plot_w / n, bar = slot * 0.72;
	g_string_append_printf (out, "<svg viewBox=\"0 0 %s %s\" width=\"100%%\" role=\"img\" "
	                        "aria-label=\"Bounces per day\">\n", NUMBER (W, 0), NUMBER (H, 0));
	/* grid and axis labels */
	for (int g = 0; g <= 4; g++) {
		double y = tp + plot_h - plot_h * g / 4.0;
		double value = (double) top * g / 4.0;
		g_string_append_printf (out, "<line x1=\"%s\" x2=\"%s\" y1=\"%s\" y2=\"%s\" stroke=\"%s\"/>"
		                        "<text x=\"%s\" y=\"%s\" font-size=\"12\" fill=\"#5f6368\" "
		                        "text-anchor=\"end\">%s</text>\n", NUMBER (left, 1), NUMBER (W - right, 1),
		                        NUMBER (y, 1), NUMBER (y, 1), g ? "#e3e6e8" : "#9aa0a6", NUMBER (left - 6, 1),
		                        NUMBER (y + 4, 1), NUMBER (value, 0));
	}
	guint label_every = n <= 31 ? 1 : (n + 29) / 30;
	for (guint i = 0; i < n; i++) {
		const char *day = g_ptr_array_index (days, first + i);
		const DayCount *dc = g_hash_table_lookup (s->days, day);
		double x = left + slot * i + (slot - bar) / 2, y = tp + plot_h;
		guint64 total = 0;
		for (guint k = 0; k < G_N_ELEMENTS (stack_order); k++) {
			VerdictClass v = stack_order[k];
			if (dc->n[v] == 0)
				continue;
			total += dc->n[v];
			double h = plot_h * dc->n[v] / (double) top;
			y -= h;
			g_string_append_printf (out, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" "
			                        "fill=\"%s\"><title>%s: %s %" G_GUINT64_FORMAT "</title></rect>\n",
			                        NUMBER (x, 1), NUMBER (y, 1), NUMBER (bar, 1), NUMBER (h, 1),
			                        verdict_colour[v], day, verdict_name (v), dc->n[v]);
		}
		if (n <= 40)
			g_string_append_printf (out, "<text x=\"%s\" y=\"%s\" font-size=\"11\" fill=\"#202124\" "
			                        "text-anchor=\"middle\">%" G_GUINT64_FORMAT "</text>\n",
			                        NUMBER (x + bar / 2, 1), NUMBER (y - 4, 1), total);
		if (i % label_every == 0) {
			double lx = x + bar / 2, ly = tp + plot_h + 14;
			g_string_append_printf (out, "<text x=\"%s\" y=\"%s\" font-size=\"11\" fill=\"#5f6368\" "
			                        "text-anchor=\"end\" transform=\"rotate(-40 %s %s)\">%s</text>\n",
			                        NUMBER (lx, 1), NUMBER (ly, 1), NUMBER (lx, 1), NUMBER (ly, 1), day);
		}
	}
	g_string_append (out, "</svg>\n<div class=\"legend\">");
	for (guint k = 0; k < G_N_ELEMENTS (stack_order); k++) {
		VerdictClass v = stack_order[k];
		g_string_append_printf (out, "<span><i style=\"background:%s\"></i>%s %" G_GUINT64_FORMAT "</span>",
		                        verdict_colour[v], verdict_name (v), s->by_verdict[v]);
	}
	g_string_append (out, "</div></div>\n");
}

/* A top list: a horizontal bar chart, then (MTAs) a table with addresses. */
static void
chart_top (GString *out, const Summary *s, SummaryTable t, const char *title, const char *colour,
           const char *empty)
{
	g_autoptr (GPtrArray) top = summary_top (s, t, SUMMARY_TOP);
	g_string_append_printf (out, "<div class=\"panel\"><h2>%s</h2>\n", title);
	if (top->len == 0) {
		g_string_append_printf (out, "<p class=\"none\">%s</p></div>\n", empty);
		return;
	}
	const double W = 520, row = 26, label_w = 230, num_w = 50;
	double H = row * top->len + 6, bar_w = W - label_w - num_w;
	guint64 max = ((const SummaryEntry *) g_ptr_array_index (top, 0))->count;
	g_string_append_printf (out, "<svg viewBox=\"0 0 %s %s\" width=\"100%%\" role=\"img\">\n", NUMBER (W, 0),
	                        NUMBER (H, 0));
	for (guint i = 0; i < top->len; i++) {
		const SummaryEntry *e = g_ptr_array_index (top, i);
		double y = 3 + row * i, w = MAX (2.0, bar_w * e->count / (double) max);
		g_string_append_printf (out, "<g><title>");
		esc (out, e->name);
		g_string_append_printf (out, ": %" G_GUINT64_FORMAT "</title>"
		                        "<text x=\"%s\" y=\"%s\" font-size=\"12.5\" fill=\"#202124\" "
		                        "text-anchor=\"end\">", e->count, NUMBER (label_w - 8, 1), NUMBER (y + row / 2 + 4, 1));
		esc_cut_from (out, e->name, 30, t != SUMMARY_IMPERSONATED);
		g_string_append_printf (out, "</text><rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" "
		                        "rx=\"3\" fill=\"%s\"/><text x=\"%s\" y=\"%s\" font-size=\"12.5\" "
		                        "fill=\"#202124\">%" G_GUINT64_FORMAT "</text></g>\n",
		                        NUMBER (label_w, 1), NUMBER (y + 4, 1), NUMBER (w, 1), NUMBER (row - 8, 1), colour,
		                        NUMBER (label_w + w + 6, 1), NUMBER (y + row / 2 + 4, 1), e->count);
	}
	g_string_append (out, "</svg>\n");
	if (t == SUMMARY_MTAS) {
		g_string_append (out, "</div><div class=\"panel\"><h2>Reporting MTAs and the addresses they "
		                      "delivered from</h2><table><tr><th>Reporting MTA</th><th>Delivered from</th>"
		                      "<th class=\"num\">Bounces</th></tr>\n");
		for (guint i = 0; i < top->len; i++) {
			const SummaryEntry *e = g_ptr_array_index (top, i);
			g_string_append (out, "<tr><td class=\"wrap\">");
			esc (out, e->name);
			g_string_append (out, "</td><td class=\"wrap\">");
			for (guint j = 0; e->addresses && j < e->addresses->len; j++) {
				if (j)
					g_string_append (out, ", ");
				esc (out, g_ptr_array_index (e->addresses, j));
			}
			if (!e->addresses || e->addresses->len == 0)
				g_string_append (out, "–");
			g_string_append_printf (out, "</td><td class=\"num\">%" G_GUINT64_FORMAT "</td></tr>\n", e->count);
		}
		g_string_append (out, "</table>\n");
	}
	g_string_append (out, "</div>\n");
}

static void
legit_table (GString *out, const Summary *s)
{
	g_string_append_printf (out, "<div class=\"panel legit\"><h2>Legit bounces: real delivery failures of "
	                        "our mail (%" G_GUINT64_FORMAT ")</h2>\n", s->by_verdict[VERDICT_LEGIT]);
	if (s->legit->len == 0) {
		g_string_append (out, "<p class=\"none\">None: no bounce matched mail in the sent log.</p></div>\n");
		return;
	}
	g_string_append (out, "<div class=\"scroll\"><table><tr><th>Source</th><th>Final recipient(s)</th><th>Status</th>"
	                      "<th>Diagnostic</th></tr>\n");
	for (guint i = 0; i < s->legit->len; i++) {
		const SummaryItem *it = g_ptr_array_index (s->legit, i);
		g_string_append (out, "<tr><td class=\"wrap\">");
		esc (out, it->source);
		if (it->offset >= 0)
			g_string_append_printf (out, "@%" G_GINT64_FORMAT, it->offset);
		g_string_append (out, "</td><td class=\"wrap\">");
		esc (out, it->final_recipients);
		g_string_append (out, "</td><td>");
		esc (out, it->status);
		g_string_append (out, "</td><td class=\"wrap\">");
		esc_cut (out, it->diagnostic, 300);
		g_string_append (out, "</td></tr>\n");
	}
	g_string_append (out, "</table></div>\n");
	if (s->legit_more)
		g_string_append_printf (out, "<p class=\"none\">… and %" G_GUINT64_FORMAT " more (not listed).</p>\n",
		                        s->legit_more);
	g_string_append (out, "</div>\n");
}

static void
counts_tables (GString *out, const Summary *s)
{
	g_string_append (out, "<div class=\"grid\"><div class=\"panel\"><h2>By verdict</h2><table>"
	                      "<tr><th>Verdict</th><th class=\"num\">Messages</th><th class=\"num\">Share</th></tr>\n");
	for (guint k = 0; k < G_N_ELEMENTS (stack_order); k++) {
		VerdictClass v = stack_order[k];
		g_string_append_printf (out, "<tr><td><span style=\"color:%s\">■</span> %s</td><td class=\"num\">%"
		                        G_GUINT64_FORMAT "</td><td class=\"num\">%s%%</td></tr>\n", verdict_colour[v],
		                        verdict_name (v), s->by_verdict[v],
		                        NUMBER (s->messages ? 100.0 * s->by_verdict[v] / s->messages : 0.0, 1));
	}
	g_string_append (out, "</table></div><div class=\"panel\"><h2>By kind</h2><table>"
	                      "<tr><th>Kind</th><th class=\"num\">Messages</th></tr>\n");
	for (int k = 0; k < N_KINDS; k++)
		g_string_append_printf (out, "<tr><td>%s</td><td class=\"num\">%" G_GUINT64_FORMAT "</td></tr>\n",
		                        bounce_kind_name (k), s->by_kind[k]);
	g_string_append (out, "</table></div></div>\n");
}

char *
summary_html (const Summary *s)
{
	GString *out = g_string_sized_new (16384);
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
	g_autofree char *when = g_date_time_format (now, "%Y-%m-%d %H:%M UTC");

	g_string_append_printf (out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	                        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	                        "<title>ndrsift bounce audit</title>\n<style>%s</style>\n</head>\n<body>\n", css);
	g_string_append_printf (out, "<h1>Bounce audit</h1>\n<div class=\"sub\">ndrsift scan, %s: %"
	                        G_GUINT64_FORMAT " messages%s</div>\n", when, s->messages,
	                        s->errors ? ", some inputs unreadable" : "");
	g_string_append (out, "<div class=\"cards\">\n");
	card (out, "messages", s->messages, "#5f6368");
	card (out, "forged (backscatter)", s->by_verdict[VERDICT_FORGED], verdict_colour[VERDICT_FORGED]);
	card (out, "legit (real failures)", s->by_verdict[VERDICT_LEGIT], verdict_colour[VERDICT_LEGIT]);
	card (out, "unknown", s->by_verdict[VERDICT_UNKNOWN], verdict_colour[VERDICT_UNKNOWN]);
	card (out, "not bounces", s->by_verdict[VERDICT_NONE], verdict_colour[VERDICT_NONE]);
	if (s->by_verdict[VERDICT_ERROR])
		card (out, "errors", s->by_verdict[VERDICT_ERROR], verdict_colour[VERDICT_ERROR]);
	if (s->errors)
		card (out, "unreadable inputs", s->errors, verdict_colour[VERDICT_ERROR]);
	g_string_append (out, "</div>\n");

	legit_table (out, s);
	chart_days (out, s);
	g_string_append (out, "<div class=\"grid\">\n");
	chart_top (out, s, SUMMARY_IMPERSONATED, "Top impersonated local senders", verdict_colour[VERDICT_FORGED],
	           "No forged bounces.");
	chart_top (out, s, SUMMARY_ORIGINS, "Top spam origins (hand-off hop of forged originals)", "#b3261e",
	           "No forged bounces with a hand-off hop.");
	g_string_append (out, "</div>\n<div class=\"grid\">\n");
	chart_top (out, s, SUMMARY_MTAS, "Top reporting MTAs", "#1a73e8", "No bounces.");
	g_string_append (out, "</div>\n");
	counts_tables (out, s);
	g_string_append (out, "<footer>Generated by ndrsift. Self-contained: nothing in this file is fetched "
	                      "from the network.</footer>\n</body>\n</html>\n");
	return g_string_free (out, FALSE);
}
