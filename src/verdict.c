/* verdict — bytes in, Verdict out. See include/ndrsift/verdict.h. */
#include "ndrsift/verdict.h"

VerdictContext *
verdict_context_new (const Config *config, GError **error)
{
	g_autoptr (TextbounceFormats) formats =
		textbounce_formats_load ((const char *const *) config->rules_dirs, error);
	if (formats == NULL)
		return NULL;

	VerdictContext *ctx = g_new0 (VerdictContext, 1);
	ctx->config = config;
	ctx->formats = g_steal_pointer (&formats);
	return ctx;
}

void
verdict_context_free (VerdictContext *ctx)
{
	if (ctx == NULL)
		return;
	textbounce_formats_free (ctx->formats);
	g_free (ctx);
}

const char *
verdict_name (VerdictClass verdict)
{
	static const char *const names[] = {
		[VERDICT_NONE] = "none", [VERDICT_UNKNOWN] = "unknown", [VERDICT_LEGIT] = "legit",
		[VERDICT_FORGED] = "forged", [VERDICT_ERROR] = "error",
	};
	return verdict < G_N_ELEMENTS (names) ? names[verdict] : "error";
}

Verdict *
verdict_judge (const VerdictContext *ctx, GBytes *message, gboolean truncated)
{
	Verdict *v = g_new0 (Verdict, 1);
	v->tests = g_ptr_array_new_with_free_func (g_free);
	v->bounce = bounce_parse_bytes (ctx->formats, message, truncated);
	v->verdict = v->bounce->kind == BOUNCE_KIND_NONE ? VERDICT_NONE : VERDICT_UNKNOWN;
	return v;
}

void
verdict_free (Verdict *v)
{
	if (v == NULL)
		return;
	g_ptr_array_unref (v->tests);
	bounce_free (v->bounce);
	g_free (v);
}
