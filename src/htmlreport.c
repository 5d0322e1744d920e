/* htmlreport — scan's HTML report. See src/htmlreport.h. */
#include "htmlreport.h"
#include "number.h"

/* Drawing order of the stacked bars, bottom first, and the colours. */
static const VerdictClass stack_order[] = { VERDICT_FORGED, VERDICT_LEGIT, VERDICT_UNKNOWN,
	                                        VERDICT_NONE, VERDICT_ERROR };
static const char *const verdict_colour[VERDICT_N_CLASSES] = {
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

/* A day's counts by verdict into n; returns their total. */
static guint64
day_counts (const Summary *s, const char *day, guint64 n[VERDICT_N_CLASSES])
{
	guint64 total = 0;
	for (int v = 0; v < VERDICT_N_CLASSES; v++)
		total += n[v] = summary_count_day (s, day, v);
	return total;
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
	g_autoptr (GPtrArray) days = summary_days (s);
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
		guint64 n_day[VERDICT_N_CLASSES];
		max = MAX (max, day_counts (s, g_ptr_array_index (days, i), n_day));
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
		guint64 n_day[VERDICT_N_CLASSES];
		day_counts (s, day, n_day);
		double x = left + slot * i + (slot - bar) / 2, y = tp + plot_h;
		guint64 total = 0;
		for (guint k = 0; k < G_N_ELEMENTS (stack_order); k++) {
			VerdictClass v = stack_order[k];
			if (n_day[v] == 0)
				continue;
			total += n_day[v];
			double h = plot_h * n_day[v] / (double) top;
			y -= h;
			g_string_append_printf (out, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" "
			                        "fill=\"%s\"><title>%s: %s %" G_GUINT64_FORMAT "</title></rect>\n",
			                        NUMBER (x, 1), NUMBER (y, 1), NUMBER (bar, 1), NUMBER (h, 1),
			                        verdict_colour[v], day, verdict_name (v), n_day[v]);
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
		                        verdict_colour[v], verdict_name (v), summary_count_verdict (s, v));
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
	guint64 more = 0;
	const GPtrArray *legit = summary_legit (s, &more);
	g_string_append_printf (out, "<div class=\"panel legit\"><h2>Legit bounces: real delivery failures of "
	                        "our mail (%" G_GUINT64_FORMAT ")</h2>\n", summary_count_verdict (s, VERDICT_LEGIT));
	if (legit->len == 0) {
		g_string_append (out, "<p class=\"none\">None: no bounce matched mail in the sent log.</p></div>\n");
		return;
	}
	g_string_append (out, "<div class=\"scroll\"><table><tr><th>Source</th><th>Final recipient(s)</th><th>Status</th>"
	                      "<th>Diagnostic</th></tr>\n");
	for (guint i = 0; i < legit->len; i++) {
		const SummaryItem *it = g_ptr_array_index (legit, i);
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
	if (more)
		g_string_append_printf (out, "<p class=\"none\">… and %" G_GUINT64_FORMAT " more (not listed).</p>\n",
		                        more);
	g_string_append (out, "</div>\n");
}

static void
counts_tables (GString *out, const Summary *s)
{
	guint64 messages = summary_messages (s);
	g_string_append (out, "<div class=\"grid\"><div class=\"panel\"><h2>By verdict</h2><table>"
	                      "<tr><th>Verdict</th><th class=\"num\">Messages</th><th class=\"num\">Share</th></tr>\n");
	for (guint k = 0; k < G_N_ELEMENTS (stack_order); k++) {
		VerdictClass v = stack_order[k];
		g_string_append_printf (out, "<tr><td><span style=\"color:%s\">■</span> %s</td><td class=\"num\">%"
		                        G_GUINT64_FORMAT "</td><td class=\"num\">%s%%</td></tr>\n", verdict_colour[v],
		                        verdict_name (v), summary_count_verdict (s, v),
		                        NUMBER (messages ? 100.0 * summary_count_verdict (s, v) / messages : 0.0, 1));
	}
	g_string_append (out, "</table></div><div class=\"panel\"><h2>By kind</h2><table>"
	                      "<tr><th>Kind</th><th class=\"num\">Messages</th></tr>\n");
	for (int k = 0; k < BOUNCE_N_KINDS; k++)
		g_string_append_printf (out, "<tr><td>%s</td><td class=\"num\">%" G_GUINT64_FORMAT "</td></tr>\n",
		                        bounce_kind_name (k), summary_count_kind (s, k));
	g_string_append (out, "</table></div></div>\n");
}

char *
htmlreport_render (const Summary *s)
{
	guint64 messages = summary_messages (s), unreadable = summary_errors (s);
	GString *out = g_string_sized_new (16384);
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
	g_autofree char *when = g_date_time_format (now, "%Y-%m-%d %H:%M UTC");

	g_string_append_printf (out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	                        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	                        "<title>ndrsift bounce audit</title>\n<style>%s</style>\n</head>\n<body>\n", css);
	g_string_append_printf (out, "<h1>Bounce audit</h1>\n<div class=\"sub\">ndrsift scan, %s: %"
	                        G_GUINT64_FORMAT " messages%s</div>\n", when, messages,
	                        unreadable ? ", some inputs unreadable" : "");
	g_string_append (out, "<div class=\"cards\">\n");
	card (out, "messages", messages, "#5f6368");
	card (out, "forged (backscatter)", summary_count_verdict (s, VERDICT_FORGED), verdict_colour[VERDICT_FORGED]);
	card (out, "legit (real failures)", summary_count_verdict (s, VERDICT_LEGIT), verdict_colour[VERDICT_LEGIT]);
	card (out, "unknown", summary_count_verdict (s, VERDICT_UNKNOWN), verdict_colour[VERDICT_UNKNOWN]);
	card (out, "not bounces", summary_count_verdict (s, VERDICT_NONE), verdict_colour[VERDICT_NONE]);
	if (summary_count_verdict (s, VERDICT_ERROR))
		card (out, "errors", summary_count_verdict (s, VERDICT_ERROR), verdict_colour[VERDICT_ERROR]);
	if (unreadable)
		card (out, "unreadable inputs", unreadable, verdict_colour[VERDICT_ERROR]);
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
