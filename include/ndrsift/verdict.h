/* verdict — the one per-message function: bytes in, Verdict out.
 *
 * The engine (engine.h) is its one caller: it loads the *.formats, the
 * *.rules and the config, decides what the config leaves unjudged, gives
 * each thread its read-only sent log, and hands all of that over in a
 * VerdictContext, shared read-only by every thread. This module opens no
 * file and writes nothing to stderr: what the caller should say comes
 * back in the Verdict.
 *
 * The built-in evidence (rules.h, EvalBuiltin) is computed here from the
 * Bounce and the sent log, then the rules add up a score. The class
 * (doc/design.md "Verdict policy"):
 *   none    — not a bounce;
 *   legit   — sent-log evidence only: the quoted Message-ID was first
 *             logged from our users (sentlog_msgid_ours), or no Message-ID
 *             is quoted and a logged message of ours went from the
 *             bounce's recipient to its Final-Recipient within window_days
 *             (sentlog_recipient_ours). A legit bounce is never forged;
 *   forged  — otherwise, when the score reaches [verdict] forged_at;
 *   unknown — otherwise.
 *
 * Hand-off hop (doc/design.md): the original's Received lines are read from
 * the top; hops without a sending host, from private or loopback
 * addresses, or between hosts of one domain (the bouncer handing the
 * message down inside its own organisation) are skipped; the first other
 * hop is the hand-off. It is ours when its client address is in [local]
 * networks, its client's verified name (rDNS) is one of [local] relays,
 * or it authenticated to one of our relays. A loopback hop is skipped
 * even when loopback is in [local] networks (a content filter
 * re-injecting); only a chain of nothing else has it as the hand-off. The HELO name is never
 * trusted: the client chose it. Its date is the moment a miss is judged
 * at (coverage), else the report's Arrival-Date, else the bounce's own.
 * The log must cover the interval around it (handoff_interval() in
 * verdict.c, doc/design.md "Coverage"): from the moment less [sentlog]
 * queue_lifetime and clock_skew to the moment plus clock_skew, but no
 * later than the bounce's arrival by our clock.
 *
 * Ownership: verdict_judge() returns (transfer full) a Verdict that owns
 * its Bounce and results; free with verdict_free() or g_autoptr. */
#ifndef NDRSIFT_VERDICT_H
#define NDRSIFT_VERDICT_H

#include <glib.h>

#include "ndrsift/bounce.h"
#include "ndrsift/config.h"
#include "ndrsift/rules.h"
#include "ndrsift/sentlog.h"

typedef enum {
	VERDICT_NONE,
	VERDICT_UNKNOWN,
	VERDICT_LEGIT,
	VERDICT_FORGED,
	VERDICT_ERROR,
} VerdictClass;

/* How many classes there are (VERDICT_ERROR is the last): the size of a
 * table indexed by VerdictClass. */
#define VERDICT_N_CLASSES (VERDICT_ERROR + 1)

typedef struct _VerdictContext VerdictContext;

typedef struct {
	VerdictClass verdict;
	double score;
	GPtrArray *tests;       /* char*: names of the listed rules that fired, in order */
	Bounce *bounce;         /* the facts */
	GArray *results;        /* RuleResult of every rule, for explain */
	EvalResults evals;
	gboolean sentlog_read;  /* a sent log was consulted */
	SentLogMatch match;     /* what it matched, if anything */
	const char *match_by;   /* "message_id", "recipient" or NULL */
	gint64 moment;          /* when the original was handed off (0: unknown) */
	char *moment_where;
	gboolean moment_is_arrival; /* the moment is the bounce's own arrival */
	SentLogCoverage coverage; /* a Message-ID missed: whether the log covers the
	                             interval around the moment (servers NULL: not judged) */
	int handoff;            /* index of the hand-off hop in original->received, or -1 */
	char *recipient;        /* the bounce's envelope recipient (our user): the envelope's,
	                           else bounce_envelope_recipient(); or NULL */
	gboolean arrival_ours;  /* bounce->arrival_time is our clock (the envelope's, or
	                           our MTA's topmost Received line) */
	char *error;            /* VERDICT_ERROR: why */
	char *sentlog_error;    /* the sent log opened but could not be read, or NULL:
	                           for the caller to say (once) */
} Verdict;

/* What the caller knows of a message beyond its bytes: a milter has the
 * envelope recipient and the moment it received the message, while the
 * header holds neither (the MTA adds its Received line and Delivered-To
 * only after the milter). Zero/NULL members: read from the message. */
typedef struct {
	const char *recipient;  /* the envelope recipient, e.g. {rcpt_addr} */
	gint64 arrival;         /* Unix seconds by our clock */
} VerdictEnvelope;

/* What the config leaves unjudged: why, or NULL where the setting is
 * made. The engine decides it (engine.c); a built-in whose input is
 * unset does not fire, and its fact says why. */
typedef struct {
	const char *domains;    /* the built-ins of our domains (msgid, auth, DKIM) */
	const char *hosts;      /* the hand-off built-ins */
} VerdictUnset;

/* The calling thread's read-only sent log, or NULL when there is none;
 * asked for only when a message needs it. Returns: (transfer none). */
typedef SentLog *(*VerdictSentLogFunc) (gpointer data);

/* What the engine prepared, for verdict_context_new(). */
typedef struct {
	const Config *config;         /* (transfer none): outlives the context */
	TextbounceFormats *formats;   /* (transfer full) */
	Rules *rules;                 /* (transfer full); none loaded: every
	                                 verdict is error; reason=no-rules */
	VerdictUnset unset;           /* the strings outlive the context */
	gboolean facts;               /* verdicts say what each rule looked at
	                                 (RuleResult.fact), for explain */
	VerdictSentLogFunc sentlog;
	gpointer sentlog_data;
} VerdictSetup;

/* Takes setup's formats and rules (they are NULL after it).
 * Returns: (transfer full). */
VerdictContext *verdict_context_new (VerdictSetup *setup);
void verdict_context_free (VerdictContext *ctx);

/* The "WHY (ndrsift.conf(5)); not judged: RULES" lines for the loaded
 * rules that need what unset lacks, appended to out (char*, transfer
 * full); nothing when no rule does. */
void verdict_unset_notices (const Rules *rules, const VerdictUnset *unset, GPtrArray *out);

/* message: (transfer full) the message's bytes; pass g_bytes_ref() to
 * keep them. truncated: the reader cut it at NS_MAX_MESSAGE_BYTES.
 * env: (nullable) what the envelope says.
 * Returns: (transfer full) the verdict; never NULL. */
Verdict *verdict_judge (const VerdictContext *ctx, GBytes *message, gboolean truncated,
                        const VerdictEnvelope *env);

/* Returns: (transfer none) "forged", "legit", "unknown", "none", "error". */
const char *verdict_name (VerdictClass verdict);

/* Returns: (transfer full) the header value of doc/design.md, without the
 * name: "forged; kind=dsn; score=11.0; tests=A,B", folded with "\n\t"
 * (the caller turns "\n" into the message's line end) when longer than
 * 78 characters with the name. */
char *verdict_header_value (const Verdict *v, const char *header_name);

/* The names of the listed rules that fired, in order, comma-separated
 * ("A,B"); `none` when none fired. The one joiner of every printer and the
 * milter (the header folds its own, above). Returns: (transfer full). */
char *verdict_tests_join (const Verdict *v, const char *none);

void verdict_free (Verdict *v);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VerdictContext, verdict_context_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Verdict, verdict_free)

#endif
