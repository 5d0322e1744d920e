/* engine — see include/ndrsift/engine.h. */
#include "ndrsift/engine.h"

struct _Engine {
	gint refs;
	Config *config;
	VerdictContext *ctx;
};

Engine *
engine_new (Config *config, gboolean facts, GError **error)
{
	g_autoptr (Config) owned = config;
	bounce_init ();
	g_autoptr (VerdictContext) ctx = verdict_context_new (owned, error);
	if (ctx == NULL)
		return NULL;
	verdict_context_set_facts (ctx, facts);
	Engine *e = g_new0 (Engine, 1);
	e->refs = 1;
	e->config = g_steal_pointer (&owned);
	e->ctx = g_steal_pointer (&ctx);
	return e;
}

Engine *
engine_reload (const Engine *engine, GError **error)
{
	Config *config = config_reload (engine->config, error);
	if (config == NULL)
		return NULL;
	return engine_new (config, verdict_context_facts (engine->ctx), error);
}

Engine *
engine_ref (Engine *engine)
{
	g_atomic_int_inc (&engine->refs);
	return engine;
}

void
engine_unref (Engine *engine)
{
	if (engine == NULL || !g_atomic_int_dec_and_test (&engine->refs))
		return;
	/* The context points into the config: it goes first. */
	verdict_context_free (engine->ctx);
	config_free (engine->config);
	g_free (engine);
}

const Config *
engine_config (const Engine *engine)
{
	return engine->config;
}

Verdict *
engine_judge (const Engine *engine, GBytes *message, gboolean truncated, const VerdictEnvelope *envelope)
{
	return verdict_judge_envelope (engine->ctx, message, truncated, envelope);
}

char *
engine_header_value (const Engine *engine, const Verdict *v)
{
	return verdict_header_value (v, engine->config->verdict_header);
}
