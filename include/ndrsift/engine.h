/* engine — the one way from bytes to a verdict, for every front end
 * (filter, check, explain, scan, milter): they read input and print;
 * nothing else reaches the parser, the rules or the sent log for a
 * verdict.
 *
 * An Engine is what start-up prepares once: the config, the *.formats and
 * *.rules it names, and the policy a verdict depends on beyond the message
 * (doc/design.md "Verdict policy"): with no rules every verdict is
 * `error; reason=no-rules`; a built-in whose [local] setting is unset is
 * not judged; without a sent log what needs it is unknown. Each is said
 * once per process on stderr (msg.h). Each thread that judges opens the
 * sent log read-only for itself when a message first needs it, and again
 * when another file is at its path. After engine_new() an Engine never
 * changes, so any number of threads may judge with it at once. A reload
 * (the milter's SIGUSR1) makes a new Engine from the same arguments with
 * engine_reload() and swaps it in: messages being judged keep the Engine
 * they started with (a reference each), and a broken config or rules
 * file leaves the caller with the old one.
 *
 * Ownership: engine_new() takes the Config (transfer full); engines are
 * reference-counted (engine_ref/engine_unref, g_autoptr); engine_judge()
 * returns (transfer full) a Verdict. */
#ifndef NDRSIFT_ENGINE_H
#define NDRSIFT_ENGINE_H

#include <glib.h>

#include "ndrsift/config.h"
#include "ndrsift/verdict.h"

typedef struct _Engine Engine;

/* config: (transfer full), also on failure. facts: verdicts say what each
 * rule looked at (explain); off for the front ends that print no facts.
 * Returns: (transfer full) or NULL with an error naming file:line. */
Engine *engine_new (Config *config, gboolean facts, GError **error);

/* A new Engine from the config file, overrides and rule directories that
 * engine was made from, read anew. engine is unchanged.
 * Returns: (transfer full) or NULL with error. */
Engine *engine_reload (const Engine *engine, GError **error);

Engine *engine_ref (Engine *engine);
void engine_unref (Engine *engine);

/* (transfer none): lives as long as the Engine. */
const Config *engine_config (const Engine *engine);

/* message: (transfer full) the bytes; truncated: the reader cut them at
 * NS_MAX_MESSAGE_BYTES; envelope: (nullable) what the caller knows beyond
 * the bytes. Returns: (transfer full) the verdict, never NULL. */
Verdict *engine_judge (const Engine *engine, GBytes *message, gboolean truncated,
                       const VerdictEnvelope *envelope);

/* Returns: (transfer full) the verdict header's value for v (verdict.h). */
char *engine_header_value (const Engine *engine, const Verdict *v);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Engine, engine_unref)

#endif
