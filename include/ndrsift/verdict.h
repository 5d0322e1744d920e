/* verdict — the one per-message function: bytes in, Verdict out.
 *
 * `filter`, `check`, `scan` and `explain` are thin front ends over
 * verdict_judge(). A VerdictContext holds what start-up prepares once (the
 * *.formats, later the rules and the sent log) and is shared read-only by
 * every thread.
 *
 * Until the rules and the sent log exist, a bounce of any kind is `unknown`
 * and a non-bounce `none`, with score 0 and no tests.
 *
 * Ownership: verdict_judge() returns (transfer full) a Verdict that owns
 * its Bounce; free with verdict_free() or g_autoptr. */
#ifndef NDRSIFT_VERDICT_H
#define NDRSIFT_VERDICT_H

#include <glib.h>

#include "ndrsift/bounce.h"
#include "ndrsift/config.h"

typedef enum {
	VERDICT_NONE,
	VERDICT_UNKNOWN,
	VERDICT_LEGIT,
	VERDICT_FORGED,
	VERDICT_ERROR,
} VerdictClass;

typedef struct {
	const Config *config;          /* (transfer none) */
	TextbounceFormats *formats;    /* owned */
} VerdictContext;

typedef struct {
	VerdictClass verdict;
	double score;
	GPtrArray *tests;   /* char*, names of the rules that fired, in order */
	Bounce *bounce;     /* the facts */
} Verdict;

/* Prepares everything per-message work needs: loads the *.formats of the
 * config's rules directories. Returns: (transfer full) or NULL with error. */
VerdictContext *verdict_context_new (const Config *config, GError **error);
void verdict_context_free (VerdictContext *ctx);

/* message: (transfer full) the message's bytes; pass g_bytes_ref() to
 * keep them. truncated: the reader cut it at NS_MAX_MESSAGE_BYTES.
 * Returns: (transfer full) the verdict; never NULL. */
Verdict *verdict_judge (const VerdictContext *ctx, GBytes *message, gboolean truncated);

/* Returns: (transfer none) "forged", "legit", "unknown", "none", "error". */
const char *verdict_name (VerdictClass verdict);

void verdict_free (Verdict *v);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VerdictContext, verdict_context_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Verdict, verdict_free)

#endif
