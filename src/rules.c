/* rules — *.rules loading and evaluation. See include/ndrsift/rules.h.
 *
 * Loading compiles everything: patterns (limits via `pattern`; those of
 * the built-in rules on first use, but all of them for `rules check`) and
 * meta expressions (shunting-yard into a postfix program, nesting bounded
 * by NS_MAX_META_DEPTH). Evaluation walks the rules once in reading order;
 * a meta reads the outcomes of rules before it, so it never recurses.
 * The Rules keep each file's text, cut into words in place: names,
 * fields and descriptions point into it. */
#include <stdlib.h>
#include <string.h>

#include "ndrsift/config.h"
#include "ndrsift/limits.h"
#include "pattern.h"
#include "rulefiles.h"
#include "ndrsift/rules.h"

typedef enum { RULE_HEADER, RULE_BODY, RULE_EVAL, RULE_META } RuleType;

typedef enum { TARGET_BOUNCE, TARGET_ORIGINAL, TARGET_DSN } TargetSpace;

/* Postfix program of a meta: a rule index (>= 0) or one of these. */
enum { OP_NOT = -1, OP_AND = -2, OP_OR = -3 };

/* Its const strings point into the file texts the Rules keep. */
typedef struct {
	const char *name;
	RuleType type;
	char *definition;     /* the line as written, for rules list */
	const char *file;     /* where it is defined */
	char *where;          /* file:line */
	TargetSpace space;    /* header rules */
	const char *field;
	gboolean negate;
	Pattern *re;          /* header, body */
	EvalBuiltin builtin;  /* eval */
	GArray *program;      /* meta: gint */
	const char *expression; /* meta, as written */
	double score;
	char *score_where;    /* a score line of another file, for rules list */
	const char *describe;
} Rule;

struct _Rules {
	GPtrArray *rules;      /* Rule*, reading order */
	GHashTable *by_name;   /* name -> index + 1 */
	GPtrArray *texts;      /* the files' names and texts */
};

/* score/describe lines that may name a rule defined later or elsewhere;
 * the strings point into the file texts. */
typedef struct {
	const char *name, *file, *text;
	guint line;
	double score;
	gboolean is_score;
} Pending;

G_DEFINE_QUARK (ndrsift-rules-error-quark, rules_error)
/* rulefiles_read_lines reports an overlong line with this code. */
G_STATIC_ASSERT (RULES_ERROR_LIMIT == RULEFILES_LINE_TOO_LONG);

static const char *const builtin_names[EVAL_COUNT] = {
	[EVAL_SENTLOG_MSGID_OURS] = "sentlog_msgid_ours",
	[EVAL_SENTLOG_MSGID_FOREIGN] = "sentlog_msgid_foreign",
	[EVAL_SENTLOG_MSGID_MISSING] = "sentlog_msgid_missing",
	[EVAL_SENTLOG_MSGID_UNCOVERED] = "sentlog_msgid_uncovered",
	[EVAL_SENTLOG_RECIPIENT_OURS] = "sentlog_recipient_ours",
	[EVAL_SENTLOG_ABSENT] = "sentlog_absent",
	[EVAL_NO_ORIGINAL] = "no_original",
	[EVAL_HANDOFF_LOCAL] = "handoff_local",
	[EVAL_HANDOFF_FOREIGN] = "handoff_foreign",
	[EVAL_MSGID_DOMAIN_LOCAL] = "msgid_domain_local",
	[EVAL_MSGID_DOMAIN_FOREIGN] = "msgid_domain_foreign",
	[EVAL_AUTH_FAIL_LOCAL] = "auth_fail_local",
	[EVAL_DKIM_LOCAL_PRESENT] = "dkim_local_present",
	[EVAL_DKIM_LOCAL_ABSENT] = "dkim_local_absent",
	[EVAL_BATV_VALID] = "batv_valid",
	[EVAL_BATV_INVALID] = "batv_invalid",
};

const char *
rules_builtin_name (EvalBuiltin builtin)
{
	return builtin < EVAL_COUNT ? builtin_names[builtin] : NULL;
}

void
eval_results_clear (EvalResults *r)
{
	for (int i = 0; i < EVAL_COUNT; i++)
		g_clear_pointer (&r->fact[i], g_free);
	memset (r->fired, 0, sizeof r->fired);
	memset (r->unjudged, 0, sizeof r->unjudged);
}

static void
rule_free (gpointer data)
{
	Rule *r = data;
	g_free (r->definition);
	g_free (r->where);
	pattern_free (r->re);
	if (r->program)
		g_array_unref (r->program);
	g_free (r->score_where);
	g_free (r);
}

void
rules_free (Rules *rules)
{
	if (rules == NULL)
		return;
	g_ptr_array_unref (rules->rules);
	g_hash_table_unref (rules->by_name);
	g_ptr_array_unref (rules->texts);
	g_free (rules);
}

static Rules *
rules_new (void)
{
	Rules *r = g_new0 (Rules, 1);
	r->rules = g_ptr_array_new_with_free_func (rule_free);
	r->by_name = g_hash_table_new (g_str_hash, g_str_equal);
	r->texts = g_ptr_array_new_with_free_func (g_free);
	return r;
}

static int
rule_index (const Rules *rules, const char *name)
{
	return GPOINTER_TO_INT (g_hash_table_lookup (rules->by_name, name)) - 1;
}

static gboolean
valid_name (const char *name)
{
	if (name == NULL || *name == '\0')
		return FALSE;
	for (const char *p = name; *p; p++)
		if (!g_ascii_isalnum (*p) && *p != '_')
			return FALSE;
	return TRUE;
}

/* Compiles "A && !(B || C)" into postfix over rule indexes. */
static GArray *
compile_meta (const Rules *rules, const char *expr, GError **error)
{
	g_autoptr (GArray) out = g_array_new (FALSE, FALSE, sizeof (gint));
	gint ops[NS_MAX_META_DEPTH * 2];   /* operators and '(' (as 0) */
	guint nops = 0, depth = 0, operands = 0;
	gboolean want_operand = TRUE;
	const char *p = expr;

#define PRECEDENCE(op) ((op) == OP_NOT ? 3 : (op) == OP_AND ? 2 : (op) == OP_OR ? 1 : 0)
	while (*p) {
		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		if (want_operand) {
			if (*p == '!' ) {
				if (nops >= G_N_ELEMENTS (ops))
					goto too_deep;
				ops[nops++] = OP_NOT;
				p++;
			} else if (*p == '(') {
				if (nops >= G_N_ELEMENTS (ops) || ++depth > NS_MAX_META_DEPTH)
					goto too_deep;
				ops[nops++] = 0;
				p++;
			} else if (g_ascii_isalnum (*p) || *p == '_') {
				const char *s = p;
				while (g_ascii_isalnum (*p) || *p == '_')
					p++;
				g_autofree char *name = g_strndup (s, p - s);
				int i = rule_index (rules, name);
				if (i < 0) {
					g_set_error (error, RULES_ERROR, RULES_ERROR_INVALID,
					             "meta names %s, which is not a rule defined before it", name);
					return NULL;
				}
				g_array_append_val (out, i);
				operands++;
				want_operand = FALSE;
			} else
				goto syntax;
		} else {
			gint op;
			if (p[0] == '&' && p[1] == '&')
				op = OP_AND;
			else if (p[0] == '|' && p[1] == '|')
				op = OP_OR;
			else if (*p == ')') {
				while (nops > 0 && ops[nops - 1] != 0)
					g_array_append_val (out, ops[--nops]);
				if (nops == 0)
					goto syntax;
				nops--;
				depth--;
				p++;
				continue;
			} else
				goto syntax;
			/* Left-associative: pop operators of higher or equal rank;
			 * '!' binds tightest. */
			while (nops > 0 && ops[nops - 1] != 0 && PRECEDENCE (ops[nops - 1]) >= PRECEDENCE (op))
				g_array_append_val (out, ops[--nops]);
			if (nops >= G_N_ELEMENTS (ops))
				goto too_deep;
			ops[nops++] = op;
			p += 2;
			want_operand = TRUE;
		}
	}
	if (want_operand || operands == 0)
		goto syntax;
	while (nops > 0) {
		if (ops[nops - 1] == 0)
			goto syntax; /* an unclosed '(' */
		g_array_append_val (out, ops[--nops]);
	}
	return g_steal_pointer (&out);
#undef PRECEDENCE
syntax:
	g_set_error (error, RULES_ERROR, RULES_ERROR_INVALID, "meta expression is not well formed near \"%.20s\"", p);
	return NULL;
too_deep:
	g_set_error (error, RULES_ERROR, RULES_ERROR_LIMIT, "meta expression nests deeper than %d", NS_MAX_META_DEPTH);
	return NULL;
}

static gboolean
parse_header_target (Rule *r, const char *target, GError **error)
{
	const char *colon = strchr (target, ':');
	if (colon) {
		g_autofree char *space = g_strndup (target, colon - target);
		if (strcmp (space, "original") == 0)
			r->space = TARGET_ORIGINAL;
		else if (strcmp (space, "dsn") == 0)
			r->space = TARGET_DSN;
		else {
			g_set_error (error, RULES_ERROR, RULES_ERROR_INVALID, "header target %s: use FIELD, original:FIELD or dsn:FIELD",
			             target);
			return FALSE;
		}
		target = colon + 1;
	}
	if (*target == '\0') {
		g_set_error (error, RULES_ERROR, RULES_ERROR_INVALID, "header rule needs a field name");
		return FALSE;
	}
	r->field = target;
	return TRUE;
}

/* Parses one line into rules (definitions) or pending (score, describe).
 * lazy: compile its pattern on first use (a built-in line). */
static gboolean
parse_line (Rules *rules, GArray *pending, char *line, const char *file, guint lineno, gboolean lazy,
            GError **error)
{
	line = rulefiles_rest (line);
	/* The line as written, before its words are cut: a rule's definition. */
	gsize dlen = strcspn (line, " \t");
	gboolean later = (dlen == 5 && strncmp (line, "score", 5) == 0) ||
	                 (dlen == 8 && strncmp (line, "describe", 8) == 0);
	g_autofree char *definition = later ? NULL : g_strdup (line);
	char *cursor = line;
	const char *directive = rulefiles_next_word (&cursor);
	const char *name = rulefiles_next_word (&cursor);
	if (directive == NULL)
		return TRUE;
	if (!valid_name (name)) {
		g_set_error (error, RULES_ERROR, RULES_ERROR_INVALID, "%s needs a rule name of letters, digits and '_'", directive);
		return FALSE;
	}
	cursor = rulefiles_rest (cursor);

	if (later) {
		Pending p = { name, file, NULL, lineno, 0, directive[0] == 's' };
		if (p.is_score) {
			char *end;
			p.score = g_ascii_strtod (cursor, &end);
			if (end == cursor || *end != '\0' || p.score != p.score /* NaN */ ||
			    p.score > 1000 || p.score < -1000) {
				g_set_error (error, RULES_ERROR, RULES_ERROR_INVALID, "score %s: give a number from -1000 to 1000", name);
				return FALSE;
			}
		} else
			p.text = cursor;
		g_array_append_val (pending, p);
		return TRUE;
	}

	int seen = rule_index (rules, name);
	if (seen >= 0) {
		Rule *old = g_ptr_array_index (rules->rules, seen);
		g_set_error (error, RULES_ERROR, RULES_ERROR_INVALID, "rule %s is already defined at %s", name, old->where);
		return FALSE;
	}
	g_autoptr (GError) local = NULL;
	Rule *r = g_new0 (Rule, 1);
	r->name = name;
	r->file = file;
	r->where = rulefiles_where (file, lineno);
	r->definition = g_steal_pointer (&definition);
	r->score = g_str_has_prefix (name, "__") ? 0.0 : 1.0;

	if (strcmp (directive, "header") == 0) {
		r->type = RULE_HEADER;
		const char *target = rulefiles_next_word (&cursor);
		const char *op = rulefiles_next_word (&cursor);
		cursor = rulefiles_rest (cursor);
		if (target == NULL || op == NULL || (strcmp (op, "=~") != 0 && strcmp (op, "!~") != 0)) {
			g_set_error (&local, RULES_ERROR, RULES_ERROR_INVALID, "header %s: write header NAME TARGET =~ /re/flags", name);
		} else if (parse_header_target (r, target, &local)) {
			r->negate = op[0] == '!';
			r->re = lazy ? pattern_new_lazy (cursor, 0, &local) : pattern_compile (cursor, &local);
		}
	} else if (strcmp (directive, "body") == 0) {
		r->type = RULE_BODY;
		r->re = lazy ? pattern_new_lazy (cursor, PATTERN_MULTILINE, &local)
		             : pattern_compile_full (cursor, PATTERN_MULTILINE, &local);
	} else if (strcmp (directive, "eval") == 0) {
		r->type = RULE_EVAL;
		r->builtin = EVAL_COUNT;
		gsize n = strlen (cursor);
		if (n > 2 && strcmp (cursor + n - 2, "()") == 0)
			for (int i = 0; i < EVAL_COUNT; i++)
				if (strlen (builtin_names[i]) == n - 2 && strncmp (cursor, builtin_names[i], n - 2) == 0)
					r->builtin = i;
		if (r->builtin == EVAL_COUNT) {
			g_autoptr (GString) known = g_string_new (NULL);
			for (int i = 0; i < EVAL_COUNT; i++)
				g_string_append_printf (known, "%s%s()", i ? ", " : "", builtin_names[i]);
			g_set_error (&local, RULES_ERROR, RULES_ERROR_INVALID, "eval %s: unknown built-in '%s' (known: %s)", name, cursor,
			             known->str);
		}
	} else if (strcmp (directive, "meta") == 0) {
		r->type = RULE_META;
		r->expression = cursor;
		r->program = compile_meta (rules, cursor, &local);
	} else {
		g_set_error (&local, RULES_ERROR, RULES_ERROR_INVALID, "unknown directive '%s' (header, body, eval, meta, score, describe)",
		             directive);
	}
	if (local) {
		rule_free (r);
		g_propagate_error (error, g_steal_pointer (&local));
		return FALSE;
	}
	if (rules->rules->len >= NS_MAX_RULES) {
		rule_free (r);
		g_set_error (error, RULES_ERROR, RULES_ERROR_LIMIT, "more than %d rules", NS_MAX_RULES);
		return FALSE;
	}
	g_ptr_array_add (rules->rules, r);
	g_hash_table_insert (rules->by_name, (gpointer) r->name, GINT_TO_POINTER (rules->rules->len));
	return TRUE;
}

typedef struct {
	Rules *rules;
	GArray *pending;       /* Pending */
	gboolean checking;     /* rules check: compile every pattern now */
} Reading;

static gboolean
read_line (char *line, const char *file, guint lineno, gboolean builtin, gpointer data, GError **error)
{
	Reading *rd = data;
	return parse_line (rd->rules, rd->pending, line, file, lineno, builtin && !rd->checking, error);
}

/* Applies score and describe lines, in reading order (the last wins). */
static gboolean
resolve_all (Rules *rules, GArray *pending, GPtrArray *errors, GError **error)
{
	gboolean ok = TRUE;
	for (guint i = 0; i < pending->len; i++) {
		const Pending *p = &g_array_index (pending, Pending, i);
		int r = rule_index (rules, p->name);
		if (r < 0) {
			g_autofree char *where = rulefiles_where (p->file, p->line);
			g_autofree char *m = g_strdup_printf ("%s: %s of %s, which no file defines", where,
			                                      p->is_score ? "score" : "describe", p->name);
			ok = FALSE;
			if (errors == NULL) {
				g_set_error_literal (error, RULES_ERROR, RULES_ERROR_INVALID, m);
				return FALSE;
			}
			g_ptr_array_add (errors, g_steal_pointer (&m));
			continue;
		}
		Rule *rule = g_ptr_array_index (rules->rules, r);
		if (p->is_score) {
			rule->score = p->score;
			g_clear_pointer (&rule->score_where, g_free);
			if (strcmp (p->file, rule->file) != 0)
				rule->score_where = rulefiles_where (p->file, p->line);
		} else
			rule->describe = p->text;
	}
	return ok;
}

Rules *
rules_parse (const char *filename, const char *text, GError **error)
{
	g_autoptr (Rules) rules = rules_new ();
	g_autoptr (GArray) pending = g_array_new (FALSE, FALSE, sizeof (Pending));
	Reading rd = { rules, pending, FALSE };
	char *name = g_strdup (filename), *copy = g_strdup (text);
	g_ptr_array_add (rules->texts, name);
	g_ptr_array_add (rules->texts, copy);
	if (!rulefiles_read_lines (name, copy, RULES_ERROR, read_line, FALSE, &rd, NULL, error) ||
	    !resolve_all (rules, pending, NULL, error))
		return NULL;
	return g_steal_pointer (&rules);
}

/* Loads dirs; with errors NULL it stops at the first error (into error),
 * otherwise it collects them all. */
static Rules *
load (const char *const *dirs, GPtrArray *errors, GError **error)
{
	g_autoptr (Rules) rules = rules_new ();
	g_autoptr (GArray) pending = g_array_sized_new (FALSE, FALSE, sizeof (Pending), 64);
	Reading rd = { rules, pending, errors != NULL };
	gboolean ok = rulefiles_read_layered (dirs, ".rules", RULES_ERROR, read_line, &rd, rules->texts, errors, error);
	if (!ok && errors == NULL)
		return NULL; /* stopped at the first error */
	/* Collecting: score/describe errors are reported too. */
	if (!resolve_all (rules, pending, errors, error) || !ok)
		return NULL;
	return g_steal_pointer (&rules);
}

Rules *
rules_load (const char *const *dirs, GError **error)
{
	return load (dirs, NULL, error);
}

gboolean
rules_check (const char *const *dirs, GPtrArray *errors, guint *count)
{
	g_autoptr (Rules) rules = load (dirs, errors, NULL);
	*count = rules_count (rules);
	return rules != NULL;
}

guint
rules_count (const Rules *rules)
{
	return rules ? rules->rules->len : 0;
}

void
rules_get (const Rules *rules, guint i, RuleInfo *info)
{
	const Rule *r = g_ptr_array_index (rules->rules, i);
	*info = (RuleInfo) { r->name, r->score, r->describe, r->definition, r->where, r->score_where };
}

char *
rules_using_builtins (const Rules *rules, const gboolean *which)
{
	GString *names = NULL;
	for (guint i = 0; i < rules_count (rules); i++) {
		const Rule *r = g_ptr_array_index (rules->rules, i);
		if (r->type != RULE_EVAL || !which[r->builtin] || g_str_has_prefix (r->name, "__"))
			continue;
		if (names == NULL)
			names = g_string_new (r->name);
		else
			g_string_append_printf (names, ", %s", r->name);
	}
	return names ? g_string_free (names, FALSE) : NULL;
}

/* ---- evaluation ---- */

static const char *
dsn_field (const ReportRecipient *rr, const Report *rep, const char *field)
{
#define IS(n) (g_ascii_strcasecmp (field, n) == 0)
	if (IS ("Reporting-MTA")) return rep->reporting_mta;
	if (IS ("Arrival-Date")) return rep->arrival_date;
	if (IS ("Original-Envelope-Id")) return rep->original_envelope_id;
	if (IS ("Received-From-MTA")) return rep->received_from_mta;
	if (rr == NULL) return NULL;
	if (IS ("Final-Recipient")) return rr->final_recipient;
	if (IS ("Original-Recipient")) return rr->original_recipient;
	if (IS ("Action")) return rr->action;
	if (IS ("Status")) return rr->status;
	if (IS ("Remote-MTA")) return rr->remote_mta;
	if (IS ("Diagnostic-Code")) return rr->diagnostic;
	if (IS ("Last-Attempt-Date")) return rr->last_attempt_date;
	return NULL;
#undef IS
}

static gboolean
per_message_field (const char *field)
{
	return g_ascii_strcasecmp (field, "Reporting-MTA") == 0 || g_ascii_strcasecmp (field, "Arrival-Date") == 0 ||
	       g_ascii_strcasecmp (field, "Original-Envelope-Id") == 0 ||
	       g_ascii_strcasecmp (field, "Received-From-MTA") == 0;
}

/* Returns whether the header rule fires; *fact (when fact is not NULL):
 * what it looked at. */
static gboolean
eval_header (const Rule *r, const Bounce *b, char **fact)
{
	g_autoptr (GPtrArray) values = g_ptr_array_new ();
	if (r->space == TARGET_DSN) {
		if (b->report) {
			if (per_message_field (r->field))
				g_ptr_array_add (values, (gpointer) dsn_field (NULL, b->report, r->field));
			for (guint i = 0; !per_message_field (r->field) && i < b->report->recipients->len; i++)
				g_ptr_array_add (values, (gpointer) dsn_field (g_ptr_array_index (b->report->recipients, i),
				                                               b->report, r->field));
		}
	} else {
		const HeaderBlock *h = r->space == TARGET_ORIGINAL ? (b->original ? b->original->headers : NULL)
		                                                  : b->headers;
		g_autoptr (GPtrArray) all = headers_get_all (h, r->field);
		g_ptr_array_extend (values, all, NULL, NULL);
	}
	gboolean any = FALSE, matched = FALSE;
	const char *shown = NULL;
	for (guint i = 0; i < values->len; i++) {
		const char *v = g_ptr_array_index (values, i);
		if (v == NULL)
			continue;
		any = TRUE;
		if (shown == NULL)
			shown = v;
		if (pattern_matches (r->re, v, strlen (v))) {
			matched = TRUE;
			shown = v;
			break;
		}
	}
	const char *space = r->space == TARGET_ORIGINAL ? "original:" : r->space == TARGET_DSN ? "dsn:" : "";
	if (fact)
		*fact = any ? g_strdup_printf ("%s%s: %.200s", space, r->field, shown)
		            : g_strdup_printf ("%s%s: absent", space, r->field);
	return any && (r->negate ? !matched : matched);
}

GArray *
rules_evaluate (const Rules *rules, const Bounce *b, const EvalResults *evals, gboolean facts)
{
	GArray *results = g_array_sized_new (FALSE, TRUE, sizeof (RuleResult), rules_count (rules));
	guint n = rules_count (rules);
	gboolean stack[NS_MAX_META_DEPTH * 4 + 4];

	for (guint i = 0; i < n; i++) {
		const Rule *r = g_ptr_array_index (rules->rules, i);
		RuleResult res = { r->name, r->describe, r->score, FALSE, !g_str_has_prefix (r->name, "__"), NULL, NULL };
		switch (r->type) {
		case RULE_HEADER:
			res.fired = eval_header (r, b, facts ? &res.fact : NULL);
			break;
		case RULE_BODY:
			res.fired = b->text->len > 0 && pattern_matches (r->re, b->text->str, b->text->len);
			if (facts)
				res.fact = g_strdup_printf ("the bounce's text (%" G_GSIZE_FORMAT " bytes)%s", b->text->len,
				                            res.fired ? " matches" : " does not match");
			break;
		case RULE_EVAL:
			res.fired = evals && evals->fired[r->builtin];
			res.unjudged = evals ? evals->unjudged[r->builtin] : NULL;
			if (facts)
				res.fact = evals && evals->fact[r->builtin]
					? g_strdup (evals->fact[r->builtin])
					: g_strdup_printf ("%s(): not evaluated (no evidence of this kind)",
					                   rules_builtin_name (r->builtin));
			break;
		case RULE_META: {
			/* The program was checked at load: it never underflows, and
			 * its stack depth is bounded by the operands it names. */
			guint sp = 0;
			for (guint k = 0; k < r->program->len; k++) {
				gint op = g_array_index (r->program, gint, k);
				if (op >= 0) {
					if (sp < G_N_ELEMENTS (stack))
						stack[sp++] = g_array_index (results, RuleResult, op).fired;
				} else if (op == OP_NOT && sp >= 1)
					stack[sp - 1] = !stack[sp - 1];
				else if (sp >= 2) {
					gboolean y = stack[--sp], x = stack[sp - 1];
					stack[sp - 1] = op == OP_AND ? (x && y) : (x || y);
				}
			}
			res.fired = sp == 1 && stack[0];
			if (facts)
				res.fact = g_strdup (r->expression);
			break;
		}
		}
		g_array_append_val (results, res);
	}
	return results;
}

void
rules_results_free (GArray *results)
{
	if (results == NULL)
		return;
	for (guint i = 0; i < results->len; i++)
		g_free (g_array_index (results, RuleResult, i).fact);
	g_array_unref (results);
}
