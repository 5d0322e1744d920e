/* rules — the *.rules files: verdict rules in a SpamAssassin-like syntax.
 *
 * One directive a line, `#` comments, read from every *.rules file of the
 * rules directories in name order (a file in a later directory replaces
 * one of the same name in an earlier one):
 *
 *   header   NAME TARGET =~ /re/flags    TARGET's value matches (!~: does not)
 *   body     NAME /re/flags              the bounce's decoded text matches
 *   eval     NAME builtin()              a built-in test of the evidence
 *   meta     NAME expression             && || ! ( ) over other rule names
 *   score    NAME number                 what the rule adds when it fires
 *   describe NAME text                   one line for explain and rules list
 *
 * TARGET: a header of the bounce ("Subject"), of the quoted original
 * ("original:Message-ID"), or a delivery-status field ("dsn:Status",
 * "dsn:Diagnostic-Code", "dsn:Reporting-MTA", "dsn:Action", ...; a
 * per-recipient field matches when any recipient's does). A rule whose
 * target is absent does not fire (and `!~` does not either).
 *
 * score and describe may name a rule of another file (a local file can
 * change a shipped score); the last one read wins. A rule without a score
 * scores 1.0; a name starting with "__" is a sub-rule for metas, scored 0
 * and not listed among the tests. Errors name file:line.
 *
 * Every pattern is compiled once at load with JIT and the limits of
 * `pattern`; meta expressions are compiled to a bounded postfix program
 * (depth NS_MAX_META_DEPTH, no recursion at evaluation) and may only
 * name rules defined before them in reading order, so there are no cycles.
 *
 * Ownership: Rules is immutable after load and shared by all threads. */
#ifndef NDRSIFT_RULES_H
#define NDRSIFT_RULES_H

#include <glib.h>

#include "ndrsift/bounce.h"

typedef struct _Rules Rules;

#define RULES_ERROR (rules_error_quark ())
GQuark rules_error_quark (void);

typedef enum {
	RULES_ERROR_INVALID,    /* a line that is not a valid rule */
	RULES_ERROR_LIMIT,      /* a bound of limits.h: rules, meta depth, line length */
} RulesError;

/* The built-in tests, for `eval NAME builtin()`. */
typedef enum {
	EVAL_SENTLOG_MSGID_OURS,       /* Message-ID in the log, first seen from our users */
	EVAL_SENTLOG_MSGID_FOREIGN,    /* in the log, but it entered from outside */
	EVAL_SENTLOG_MSGID_MISSING,    /* not in a log that covers the hand-off moment */
	EVAL_SENTLOG_MSGID_UNCOVERED,  /* not in the log, which does not cover that moment */
	EVAL_SENTLOG_RECIPIENT_OURS,   /* no Message-ID, but a logged message to Final-Recipient */
	EVAL_SENTLOG_ABSENT,           /* no sent log could be read */
	EVAL_NO_ORIGINAL,              /* nothing quoted */
	EVAL_HANDOFF_LOCAL,            /* the hand-off hop is one of ours */
	EVAL_HANDOFF_FOREIGN,          /* the hand-off hop is not one of ours */
	EVAL_MSGID_DOMAIN_LOCAL,       /* the Message-ID's domain is one of [local] domains */
	EVAL_MSGID_DOMAIN_FOREIGN,
	EVAL_AUTH_FAIL_LOCAL,          /* the bouncer recorded SPF/DKIM failure for our domain */
	EVAL_DKIM_LOCAL_PRESENT,       /* a DKIM-Signature with d= one of our domains */
	EVAL_DKIM_LOCAL_ABSENT,        /* an original from our domain without one */
	EVAL_BATV_VALID,               /* [batv] keys set: valid prvs= tag, not too old */
	EVAL_BATV_INVALID,             /* [batv] keys set: tag missing, bad or too old */
	EVAL_COUNT
} EvalBuiltin;

/* What the verdict module found out for the evals: fired or not, and the
 * fact it looked at (for explain). */
typedef struct {
	gboolean fired[EVAL_COUNT];
	char *fact[EVAL_COUNT];        /* owned; may be NULL */
	const char *unjudged[EVAL_COUNT];  /* (transfer none) why it could not be judged
	                                      (a setting that is not set), or NULL */
} EvalResults;

void eval_results_clear (EvalResults *results);

/* Returns: (transfer none) the builtin's name as written in rules files
 * ("sentlog_msgid_ours"), or NULL. */
const char *rules_builtin_name (EvalBuiltin builtin);

/* One rule's outcome, for the verdict and explain. */
typedef struct {
	const char *name;      /* (transfer none) */
	const char *describe;  /* (transfer none), may be NULL */
	double score;
	gboolean fired;
	gboolean listed;       /* not a "__" sub-rule */
	char *fact;            /* owned: what it looked at */
	const char *unjudged;  /* (transfer none) an eval that could not be judged: why */
} RuleResult;

/* Loads every *.rules file of dirs (NULL-terminated; missing directories
 * are skipped). Returns: (transfer full) or NULL with an error naming
 * file:line. */
Rules *rules_load (const char *const *dirs, GError **error);

/* Like rules_load, but reads on past errors: every one goes to errors
 * (char*, "file:line: what"), for `rules check`. *count: rules loaded.
 * Returns: TRUE when there was none. */
gboolean rules_check (const char *const *dirs, GPtrArray *errors, guint *count);

/* Parses one file's text, for tests. */
Rules *rules_parse (const char *filename, const char *text, GError **error);

guint rules_count (const Rules *rules);

/* Evaluates every rule in reading order; facts: also say what each rule
 * looked at (RuleResult.fact, for explain; NULL otherwise). Returns:
 * (transfer full) a GArray of RuleResult; free with rules_results_free(). */
GArray *rules_evaluate (const Rules *rules, const Bounce *bounce, const EvalResults *evals, gboolean facts);
void rules_results_free (GArray *results);

/* One rule as loaded, for `rules list`; every string (transfer none). */
typedef struct {
	const char *name;
	double score;
	const char *describe;     /* may be NULL */
	const char *definition;   /* the line as written */
	const char *where;        /* file:line of the definition ("built-in:NAME:line") */
	const char *score_where;  /* file:line of the score in force when another file
	                             gave it (a local score), else NULL */
} RuleInfo;

/* The listed rules that are `eval` rules of one of the builtins flagged in
 * which[EVAL_COUNT], comma-separated in reading order. Returns: (transfer
 * full) or NULL when there is none. */
char *rules_using_builtins (const Rules *rules, const gboolean *which);

/* For `rules list`: rule i, in reading order. */
void rules_get (const Rules *rules, guint i, RuleInfo *info);

void rules_free (Rules *rules);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Rules, rules_free)

#endif
