/* printer — every way a verdict is printed. See src/printer.h. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "datetime.h"
#include "htmlreport.h"
#include "number.h"
#include "output.h"
#include "printer.h"
#include "ndrsift/received.h"

/* ---- the JSON record (jsonl, explain --json) ----------------------------- */

/* The digest the sent log matched by, in hex (sentlog.h "Privacy"). */
static char *
key_hex (const guint8 *key, guint len)
{
	GString *hex = g_string_sized_new (2 * SENTLOG_KEY_LEN);
	for (guint i = 0; i < len && i < SENTLOG_KEY_LEN; i++)
		g_string_append_printf (hex, "%02x", key[i]);
	return g_string_free (hex, FALSE);
}

/* The record tree is kept per thread and refilled for every message: its
 * objects, their member tables and their name strings are made once, and
 * a message only sets the values. Built afresh per record, the objects
 * and their teardown cost twice what writing the JSON text does. Nothing
 * of the tree leaves this file: the printers return the text.
 * Member order is the order of first use, which is the contract's (the
 * members of an object are always set in the same order, and never
 * removed: an absent value is null). */

typedef struct {
	JsonObject *record;
	JsonObject *original, *dsn, *sentlog, *facts;
	GPtrArray *hops, *recipients, *rules; /* JsonObject*, reused by index */
} RecordTree;

static void
record_tree_free (gpointer data)
{
	RecordTree *t = data;
	json_object_unref (t->record);
	json_object_unref (t->original);
	json_object_unref (t->dsn);
	json_object_unref (t->sentlog);
	json_object_unref (t->facts);
	g_ptr_array_unref (t->hops);
	g_ptr_array_unref (t->recipients);
	g_ptr_array_unref (t->rules);
	g_free (t);
}

static RecordTree *
record_tree_new (void)
{
	RecordTree *t = g_new0 (RecordTree, 1);
	t->record = json_object_new ();
	t->original = json_object_new ();
	t->dsn = json_object_new ();
	t->sentlog = json_object_new ();
	t->facts = json_object_new ();
	t->hops = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
	t->recipients = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
	t->rules = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
	return t;
}

/* One tree for the records and one for explain's extended records: the
 * two have different members. */
static GPrivate compact_tree = G_PRIVATE_INIT (record_tree_free);
static GPrivate extended_tree = G_PRIVATE_INIT (record_tree_free);

/* The i-th reusable object of a pool. Returns: (transfer none). */
static JsonObject *
pooled (GPtrArray *pool, guint i)
{
	while (pool->len <= i)
		g_ptr_array_add (pool, json_object_new ());
	return g_ptr_array_index (pool, i);
}

static void
put_null (JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member (o, name);
	if (n == NULL || !JSON_NODE_HOLDS_NULL (n))
		json_object_set_null_member (o, name);
}

/* A string value, valid UTF-8 (invalid bytes become U+FFFD), or null.
 * Strings are most of a record: set in place when the member already
 * holds one, replaced otherwise (which keeps the member's place). Not
 * json_node_init_*(): json-glib 1.6 frees the old value there without
 * forgetting it. The few numbers and booleans are simply replaced. */
static void
put_string (JsonObject *o, const char *name, const char *value)
{
	if (value == NULL) {
		put_null (o, name);
		return;
	}
	g_autofree char *valid = g_utf8_validate (value, -1, NULL) ? NULL : g_utf8_make_valid (value, -1);
	JsonNode *n = json_object_get_member (o, name);
	if (n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
		json_node_set_string (n, valid ? valid : value);
	else
		json_object_set_string_member (o, name, valid ? valid : value);
}

/* An object value (the tree keeps its own reference), or null. */
static void
put_object (JsonObject *o, const char *name, JsonObject *value)
{
	if (value)
		json_object_set_object_member (o, name, json_object_ref (value));
	else
		put_null (o, name);
}

static void
put_string_list (JsonObject *o, const char *name, GPtrArray *values)
{
	JsonArray *a = json_array_sized_new (values ? values->len : 0);
	for (guint i = 0; values && i < values->len; i++) {
		const char *s = g_ptr_array_index (values, i);
		if (g_utf8_validate (s, -1, NULL))
			json_array_add_string_element (a, s);
		else {
			g_autofree char *valid = g_utf8_make_valid (s, -1);
			json_array_add_string_element (a, valid);
		}
	}
	json_object_set_array_member (o, name, a);
}

static void
fill_hop (JsonObject *o, const ReceivedHop *hop, gboolean extended)
{
	put_string (o, "from_helo", hop->from_helo);
	put_string (o, "from_rdns", hop->from_rdns);
	put_string (o, "from_ip", hop->from_ip);
	put_string (o, "by", hop->by);
	put_string (o, "date", hop->date);
	if (extended) {
		put_string (o, "with", hop->with);
		put_string (o, "id", hop->id);
		put_string (o, "for", hop->for_addr);
		json_object_set_boolean_member (o, "authenticated", hop->authenticated);
	}
}

static void
fill_original (RecordTree *t, const BounceOriginal *o, gboolean extended)
{
	if (o == NULL) {
		put_object (t->record, "original", NULL);
		return;
	}
	JsonObject *j = t->original;
	put_string (j, "message_id", o->message_id);
	put_string (j, "from", o->from);
	put_string (j, "to", o->to);
	put_string (j, "date", o->date);
	put_string (j, "subject", o->subject);
	if (extended) {
		put_string (j, "return_path", o->return_path);
		put_string_list (j, "authentication_results", o->authentication_results);
		put_string_list (j, "received_spf", o->received_spf);
		put_string_list (j, "dkim_domains", o->dkim_domains);
		put_string (j, "where", o->where);
	}
	JsonArray *hops = json_array_sized_new (o->received->len);
	for (guint i = 0; i < o->received->len; i++) {
		JsonObject *hop = pooled (t->hops, i);
		fill_hop (hop, g_ptr_array_index (o->received, i), extended);
		json_array_add_object_element (hops, json_object_ref (hop));
	}
	json_object_set_array_member (j, "received", hops);
	put_object (t->record, "original", j);
}

static void
fill_report (RecordTree *t, const Bounce *b, gboolean extended)
{
	const Report *r = b->report;
	if (r == NULL) {
		put_object (t->record, "dsn", NULL);
		return;
	}
	JsonObject *j = t->dsn;
	put_string (j, "reporting_mta", r->reporting_mta);
	put_string (j, "arrival_date", r->arrival_date);
	if (extended) {
		put_string (j, "original_envelope_id", r->original_envelope_id);
		put_string (j, "received_from_mta", r->received_from_mta);
		put_string (j, "where", b->report_where);
	}
	JsonArray *recipients = json_array_sized_new (r->recipients->len);
	for (guint i = 0; i < r->recipients->len; i++) {
		const ReportRecipient *rr = g_ptr_array_index (r->recipients, i);
		JsonObject *o = pooled (t->recipients, i);
		put_string (o, "final_recipient", rr->final_recipient);
		put_string (o, "original_recipient", rr->original_recipient);
		put_string (o, "action", rr->action);
		put_string (o, "status", rr->status);
		put_string (o, "remote_mta", rr->remote_mta);
		put_string (o, "diagnostic", rr->diagnostic);
		if (extended)
			put_string (o, "last_attempt_date", rr->last_attempt_date);
		json_array_add_object_element (recipients, json_object_ref (o));
	}
	json_object_set_array_member (j, "recipients", recipients);
	put_object (t->record, "dsn", j);
}

/* {"first": TIME, "last": TIME}, or null for 0, 0. Returns: (transfer full). */
static JsonNode *
span_node (const SentLogSpan *sp)
{
	if (sp->first == 0 && sp->last == 0)
		return json_node_new (JSON_NODE_NULL);
	JsonObject *o = json_object_new ();
	g_autofree char *first = datetime_format_utc (sp->first), *last = datetime_format_utc (sp->last);
	json_object_set_string_member (o, "first", first);
	json_object_set_string_member (o, "last", last);
	return json_node_init_object (json_node_alloc (), o);
}

/* explain's account of a coverage judgement (a Message-ID missed), or
 * null. Returns: (transfer full). */
static JsonNode *
coverage_node (const SentLogCoverage *c)
{
	if (c->servers == NULL)
		return json_node_new (JSON_NODE_NULL);
	JsonObject *o = json_object_new ();
	g_autofree char *from = datetime_format_utc (c->from), *to = datetime_format_utc (c->to);
	json_object_set_string_member (o, "from", from);
	json_object_set_string_member (o, "to", to);
	json_object_set_boolean_member (o, "covered", c->covered);
	JsonArray *servers = json_array_sized_new (c->servers->len);
	for (guint i = 0; i < c->servers->len; i++) {
		const SentLogServerCoverage *sc = g_ptr_array_index (c->servers, i);
		JsonObject *so = json_object_new ();
		put_string (so, "server", sc->server);
		json_object_set_boolean_member (so, "required", sc->required);
		json_object_set_boolean_member (so, "covered", sc->covered);
		g_autofree char *retired = sc->retired ? datetime_format_utc (sc->retired) : NULL;
		put_string (so, "retired", retired);
		json_object_set_member (so, "span", span_node (&sc->span));
		json_object_set_member (so, "gap", sc->covered ? json_node_new (JSON_NODE_NULL) : span_node (&sc->gap));
		json_array_add_object_element (servers, so);
	}
	json_object_set_array_member (o, "servers", servers);
	return json_node_init_object (json_node_alloc (), o);
}

static void
fill_record (RecordTree *t, const char *source, gint64 offset, const Verdict *v, gboolean extended)
{
	const Bounce *b = v->bounce;
	JsonObject *o = t->record;

	put_string (o, "source", source);
	if (offset < 0)
		put_null (o, "offset");
	else
		json_object_set_int_member (o, "offset", offset);
	put_string (o, "kind", bounce_kind_name (b->kind));
	put_string (o, "verdict", verdict_name (v->verdict));
	/* The number the header and the text print (round() rounded 0.25
	 * to 0.3 where they say 0.2). */
	json_object_set_double_member (o, "score", number_score_value (v->score));
	put_string_list (o, "tests", v->tests);
	fill_original (t, b->original, extended);
	fill_report (t, b, extended);
	if (v->sentlog_read) {
		json_object_set_boolean_member (t->sentlog, "matched", v->match.found);
		put_string (t->sentlog, "by", v->match.found ? v->match_by : NULL);
		put_string (t->sentlog, "server", v->match.server);
		put_string (t->sentlog, "queue_id", v->match.queue_id);
		/* explain: the row matched (its digest and time: the log holds
		 * no Message-ID or recipient), the interval a miss was judged
		 * over, and which span of each server holds it, or what it lacks */
		if (extended) {
			g_autofree char *key = v->match.found ? key_hex (v->match.key, v->match.key_len) : NULL;
			g_autofree char *time = v->match.found ? datetime_format_utc (v->match.time) : NULL;
			put_string (t->sentlog, "digest", key);
			put_string (t->sentlog, "time", time);
			json_object_set_member (t->sentlog, "coverage", coverage_node (&v->coverage));
		}
	}
	put_object (o, "sentlog", v->sentlog_read ? t->sentlog : NULL);

	if (extended) {
		put_string (t->facts, "kind_why", b->kind_why);
		put_string (t->facts, "family", b->family);
		put_string (t->facts, "failed_recipient", b->failed_recipient);
		put_string (t->facts, "failed_recipient_where", b->failed_recipient_where);
		put_string (t->facts, "arrival_date", b->arrival_date);
		put_string (t->facts, "arrival_where", b->arrival_where);
		put_string_list (t->facts, "notes", b->notes);
		put_string (t->facts, "handoff_moment_where", v->moment_where);
		put_object (o, "facts", t->facts);

		/* Every rule, fired or not, with what it looked at. */
		guint n = v->results ? v->results->len : 0;
		JsonArray *rules = json_array_sized_new (n);
		for (guint i = 0; i < n; i++) {
			const RuleResult *r = &g_array_index (v->results, RuleResult, i);
			JsonObject *rule = pooled (t->rules, i);
			put_string (rule, "name", r->name);
			json_object_set_boolean_member (rule, "fired", r->fired);
			json_object_set_double_member (rule, "score", r->score);
			put_string (rule, "fact", r->fact);
			json_array_add_object_element (rules, json_object_ref (rule));
		}
		json_object_set_array_member (o, "rules", rules);
	}
}

/* One compact generator per thread, made on first use: a generator is a
 * GObject with properties, and making one per record cost as much as
 * writing the record. */
static void
generator_free (gpointer gen)
{
	g_object_unref (gen);
}

static GPrivate compact_generator = G_PRIVATE_INIT (generator_free);

/* Returns: (transfer full) a node holding this thread's record tree,
 * filled from v. */
static JsonNode *
record_node (const char *source, gint64 offset, const Verdict *v, gboolean extended)
{
	GPrivate *key = extended ? &extended_tree : &compact_tree;
	RecordTree *t = g_private_get (key);
	if (t == NULL) {
		t = record_tree_new ();
		g_private_set (key, t);
	}
	fill_record (t, source, offset, v, extended);
	JsonNode *root = json_node_new (JSON_NODE_OBJECT);
	json_node_set_object (root, t->record);
	return root;
}

/* jsonl: the compact record, one line. */
static void
print_jsonl (GString *out, const PrinterMessage *m)
{
	g_autoptr (JsonNode) root = record_node (m->source, m->offset, m->verdict, FALSE);
	JsonGenerator *gen = g_private_get (&compact_generator);
	if (gen == NULL) {
		gen = json_generator_new ();
		g_private_set (&compact_generator, gen);
	}
	json_generator_set_root (gen, root);
	json_generator_to_gstring (gen, out);
	json_generator_set_root (gen, NULL);
	g_string_append_c (out, '\n');
}

/* explain --json: the extended record, pretty; once per process. */
static void
print_explain_json (GString *out, const PrinterMessage *m)
{
	g_autoptr (JsonNode) root = record_node (m->source, m->offset, m->verdict, TRUE);
	g_autoptr (JsonGenerator) gen = json_generator_new ();
	json_generator_set_pretty (gen, TRUE);
	json_generator_set_indent (gen, 2);
	json_generator_set_root (gen, root);
	json_generator_to_gstring (gen, out);
	g_string_append_c (out, '\n');
}

/* ---- one line per message (check, scan's text) --------------------------- */

/* The message's place: "FILE", or "FILE@OFFSET" in an mbox; escaped. */
static char *
place (const PrinterMessage *m)
{
	g_autofree char *source = output_escape (m->source);
	return m->offset >= 0 ? g_strdup_printf ("%s@%" G_GINT64_FORMAT, source, m->offset) : g_steal_pointer (&source);
}

/* check: "FILE: VERDICT score=S kind=K tests=T". */
static void
print_check (GString *out, const PrinterMessage *m)
{
	const Verdict *v = m->verdict;
	g_autofree char *where = place (m);
	g_autofree char *tests = verdict_tests_join (v, "none");
	g_string_append_printf (out, "%s: %s score=%s kind=%s tests=%s\n", where, verdict_name (v->verdict),
	                        SCORE (v->score), bounce_kind_name (v->bounce->kind), tests);
}

/* scan's text: the same, aligned in columns. */
static void
print_text (GString *out, const PrinterMessage *m)
{
	const Verdict *v = m->verdict;
	g_autofree char *where = place (m);
	g_autofree char *tests = verdict_tests_join (v, "none");
	g_string_append_printf (out, "%-40s %-8s score=%-5s kind=%-9s tests=%s\n", where,
	                        verdict_name (v->verdict), SCORE (v->score),
	                        bounce_kind_name (v->bounce->kind), tests);
}

/* ---- explain ------------------------------------------------------------- */

static void
line (GString *out, int indent, const char *name, const char *value)
{
	g_autofree char *safe = output_escape (value);
	g_string_append_printf (out, "%*s%-21s %s\n", indent, "", name, safe);
}

/* Which span of each server holds the interval a miss is judged over,
 * or what the log lacks. */
static void
explain_coverage (GString *out, const SentLogCoverage *c)
{
	if (c->servers == NULL)
		return;
	g_autofree char *from = datetime_format_utc (c->from), *to = datetime_format_utc (c->to);
	g_autofree char *interval = g_strdup_printf ("%s .. %s: %s", from, to,
	                                             c->covered ? "covered"
	                                             : c->servers->len ? "not covered" : "not covered (no server in the log)");
	line (out, 2, "coverage", interval);
	for (guint i = 0; i < c->servers->len; i++) {
		const SentLogServerCoverage *sc = g_ptr_array_index (c->servers, i);
		g_autofree char *first = datetime_format_utc (sc->span.first), *last = datetime_format_utc (sc->span.last);
		g_autofree char *gap_first = datetime_format_utc (sc->gap.first), *gap_last = datetime_format_utc (sc->gap.last);
		g_autofree char *retired = datetime_format_utc (sc->retired);
		g_autofree char *what = NULL;
		if (!sc->required)
			what = g_strdup_printf ("retired since %s: not needed", retired);
		else if (sc->covered)
			what = g_strdup_printf ("its span %s .. %s holds it", first, last);
		else if (sc->span.first || sc->span.last)
			what = g_strdup_printf ("lacks %s .. %s (its span %s .. %s ends there)", gap_first, gap_last, first, last);
		else
			what = g_strdup_printf ("lacks %s .. %s (no span holds the start)", gap_first, gap_last);
		g_autofree char *name = output_escape (sc->server);
		g_autofree char *label = g_strdup_printf ("server %s", name);
		line (out, 4, label, what);
	}
}

/* explain: every fact, where it was found, every rule. */
static void
print_explain (GString *out, const PrinterMessage *m)
{
	const char *source = m->source;
	const Verdict *v = m->verdict;
	const Bounce *b = v->bounce;

	line (out, 0, "message", source);
	line (out, 0, "kind", bounce_kind_name (b->kind));
	line (out, 2, "because", b->kind_why);
	line (out, 2, "format family", b->family);
	if (b->failed_recipient) {
		line (out, 0, "failed recipient", b->failed_recipient);
		line (out, 2, "found in", b->failed_recipient_where);
	}
	line (out, 0, "arrival", b->arrival_date);
	line (out, 2, "found in", b->arrival_where);

	if (b->report) {
		const Report *r = b->report;
		line (out, 0, "report", b->report_where);
		line (out, 2, "Reporting-MTA", r->reporting_mta);
		line (out, 2, "Arrival-Date", r->arrival_date);
		line (out, 2, "Original-Envelope-Id", r->original_envelope_id);
		line (out, 2, "Received-From-MTA", r->received_from_mta);
		for (guint i = 0; i < r->recipients->len; i++) {
			ReportRecipient *rr = g_ptr_array_index (r->recipients, i);
			g_string_append_printf (out, "  recipient %u\n", i + 1);
			line (out, 4, "Final-Recipient", rr->final_recipient);
			line (out, 4, "Original-Recipient", rr->original_recipient);
			line (out, 4, "Action", rr->action);
			line (out, 4, "Status", rr->status);
			line (out, 4, "Remote-MTA", rr->remote_mta);
			line (out, 4, "Diagnostic-Code", rr->diagnostic);
			line (out, 4, "Last-Attempt-Date", rr->last_attempt_date);
		}
	} else
		line (out, 0, "report", "none");

	const BounceOriginal *o = b->original;
	if (o) {
		line (out, 0, "original", o->where);
		line (out, 2, "Message-ID", o->message_id);
		line (out, 2, "From", o->from);
		line (out, 2, "To", o->to);
		line (out, 2, "Date", o->date);
		line (out, 2, "Subject", o->subject);
		line (out, 2, "Return-Path", o->return_path);
		for (guint i = 0; i < o->authentication_results->len; i++)
			line (out, 2, "Authentication-Results", g_ptr_array_index (o->authentication_results, i));
		for (guint i = 0; i < o->received_spf->len; i++)
			line (out, 2, "Received-SPF", g_ptr_array_index (o->received_spf, i));
		for (guint i = 0; i < o->dkim_domains->len; i++)
			line (out, 2, "DKIM-Signature d=", g_ptr_array_index (o->dkim_domains, i));
		for (guint i = 0; i < o->received->len; i++) {
			const ReceivedHop *h = g_ptr_array_index (o->received, i);
			g_string_append_printf (out, "  Received hop %u\n", i + 1);
			line (out, 4, "from (HELO)", h->from_helo);
			line (out, 4, "from (rDNS)", h->from_rdns);
			line (out, 4, "from (IP)", h->from_ip);
			line (out, 4, "by", h->by);
			line (out, 4, "with", h->with);
			line (out, 4, "id", h->id);
			line (out, 4, "date", h->date);
		}
	} else
		line (out, 0, "original", "none quoted");

	for (guint i = 0; i < b->notes->len; i++)
		line (out, 0, "note", g_ptr_array_index (b->notes, i));

	if (v->moment_where)
		line (out, 0, "hand-off moment", v->moment_where);
	if (v->sentlog_read) {
		g_autofree char *key = key_hex (v->match.key, v->match.key_len);
		g_autofree char *time = datetime_format_utc (v->match.time);
		g_autofree char *match = v->match.found
			? g_strdup_printf ("matched by %s (digest %s): %s, queue %s, %s", v->match_by, key,
			                   v->match.server, v->match.queue_id ? v->match.queue_id : "-", time)
			: g_strdup ("no match");
		line (out, 0, "sent log", match);
		explain_coverage (out, &v->coverage);
	} else if (v->bounce->kind != BOUNCE_KIND_NONE)
		line (out, 0, "sent log", "not read");
	if (v->results && v->results->len) {
		g_string_append (out, "rules\n");
		for (guint i = 0; i < v->results->len; i++) {
			const RuleResult *r = &g_array_index (v->results, RuleResult, i);
			g_autofree char *fact = output_escape (r->fact);
			g_string_append_printf (out, "  %-5s %6s  %-22s %s\n", r->fired ? "FIRED" : "-",
			                        SCORE (r->fired ? r->score : 0.0), r->name, fact);
		}
	}

	/* The tests that could not be judged, by what was missing. */
	for (guint i = 0; v->results && i < v->results->len; i++) {
		const char *why = g_array_index (v->results, RuleResult, i).unjudged;
		gboolean seen = FALSE;
		for (guint k = 0; k < i && !seen; k++)
			seen = g_array_index (v->results, RuleResult, k).unjudged == why;
		if (why == NULL || seen)
			continue;
		g_autoptr (GString) names = g_string_new (NULL);
		for (guint k = i; k < v->results->len; k++) {
			const RuleResult *r = &g_array_index (v->results, RuleResult, k);
			if (r->unjudged == why && r->listed)
				g_string_append_printf (names, "%s%s", names->len ? ", " : "", r->name);
		}
		g_string_append_printf (names, " (%s)", why);
		line (out, 0, "not judged", names->str);
	}

	g_autofree char *tests = verdict_tests_join (v, "none");
	g_string_append_printf (out, "verdict               %s score=%s tests=%s\n",
	                        verdict_name (v->verdict), SCORE (v->score), tests);
}

/* ---- CSV (RFC 4180) ------------------------------------------------------ */

/* The field of every recipient, comma-separated. */
static char *
csv_recipients (const Report *r, gboolean status)
{
	if (r == NULL)
		return NULL;
	GString *out = g_string_new (NULL);
	for (guint i = 0; i < r->recipients->len; i++) {
		const ReportRecipient *rr = g_ptr_array_index (r->recipients, i);
		const char *value = status ? rr->status : rr->final_recipient;
		g_string_append_printf (out, "%s%s", i ? "," : "", value ? value : "");
	}
	return g_string_free (out, FALSE);
}

/* csv: source, offset (empty for a file of its own), kind, verdict,
 * score, tests, message_id, reporting_mta, final_recipient and status (of
 * every recipient, comma-separated), origin_ip (the hand-off hop's client
 * address); CRLF. */
static void
print_csv (GString *out, const PrinterMessage *m)
{
	const Verdict *v = m->verdict;
	const Bounce *b = v->bounce;

	output_csv_field (out, m->source);
	g_string_append_c (out, ',');
	if (m->offset >= 0)
		g_string_append_printf (out, "%" G_GINT64_FORMAT, m->offset);
	g_string_append_printf (out, ",%s,%s,%s,", bounce_kind_name (b->kind), verdict_name (v->verdict),
	                        SCORE (v->score));
	g_autofree char *tests = verdict_tests_join (v, "");
	output_csv_field (out, tests);
	g_string_append_c (out, ',');
	output_csv_field (out, b->original ? b->original->message_id : NULL);
	g_string_append_c (out, ',');
	output_csv_field (out, b->reporting_mta);
	g_string_append_c (out, ',');
	g_autofree char *rcpts = csv_recipients (b->report, FALSE);
	output_csv_field (out, rcpts);
	g_string_append_c (out, ',');
	g_autofree char *status = csv_recipients (b->report, TRUE);
	output_csv_field (out, status);
	g_string_append_c (out, ',');
	const BounceOriginal *o = b->original;
	if (o && v->handoff >= 0 && (guint) v->handoff < o->received->len) {
		const ReceivedHop *hop = g_ptr_array_index (o->received, v->handoff);
		output_csv_field (out, hop->from_ip);
	}
	g_string_append (out, "\r\n");
}

/* ---- what follows a batch (scan) ---------------------------------------- */

/* text: after a blank line, on stdout. */
static char *
summary_after_lines (const Summary *s, gboolean *to_stderr)
{
	*to_stderr = FALSE;
	g_autofree char *text = summary_text (s);
	return g_strconcat ("\n", text, NULL);
}

/* csv and jsonl: stdout holds only rows or records. */
static char *
summary_on_stderr (const Summary *s, gboolean *to_stderr)
{
	*to_stderr = TRUE;
	return summary_text (s);
}

static char *
html_report (const Summary *s, gboolean *to_stderr)
{
	*to_stderr = FALSE;
	return htmlreport_render (s);
}

/* ---- the printers -------------------------------------------------------- */

/* room: what a typical record takes, so that its string seldom grows. */
static const Printer printers[] = {
	{ .name = "text", .scan = TRUE, .room = 256, .record = print_text, .summary = summary_after_lines },
	{ .name = "csv", .scan = TRUE, .room = 1024, .record = print_csv, .summary = summary_on_stderr,
	  .head = "source,offset,kind,verdict,score,tests,message_id,reporting_mta,final_recipient,status,origin_ip\r\n" },
	{ .name = "jsonl", .scan = TRUE, .room = 4096, .record = print_jsonl, .summary = summary_on_stderr },
	{ .name = "html", .scan = TRUE, .summary = html_report },
	{ .name = "check", .room = 256, .record = print_check },
	{ .name = "explain", .room = 4096, .record = print_explain },
	{ .name = "explain-json", .room = 8192, .record = print_explain_json },
};

const Printer *
printer_find (const char *name)
{
	for (guint i = 0; name && i < G_N_ELEMENTS (printers); i++)
		if (strcmp (printers[i].name, name) == 0)
			return &printers[i];
	return NULL;
}

char *
printer_message (const Printer *p, const char *source, gint64 offset, const Verdict *v)
{
	GString *out = g_string_sized_new (p->room);
	if (p->record) {
		PrinterMessage m = { source, offset, v };
		p->record (out, &m);
	}
	return g_string_free (out, FALSE);
}
