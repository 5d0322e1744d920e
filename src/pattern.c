/* pattern — PCRE2 with JIT and match limits. See src/pattern.h.
 *
 * The match context (limits) is shared by all patterns and only read
 * during matches. Match data is kept per thread (GPrivate) and grown on
 * demand, so the per-message path allocates nothing.
 *
 * What a pattern costs before its first match is start-up, and a `filter`
 * process judges one message: compiling every shipped pattern cost more
 * than judging it, and JIT-compiling one costs some 85,000 instructions,
 * more than the interpreter spends on a dozen matches. So a pattern of
 * the built-in rules is compiled on first use (pattern_new_lazy), and any
 * pattern is JIT-compiled once it has run PATTERN_JIT_AFTER times: a
 * JIT-compiled copy is made and published by one thread while the others
 * go on with the interpreter, so nobody waits and nobody matches a
 * half-compiled pattern. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "ndrsift/limits.h"
#include "pattern.h"

/* Interpreted matches before a pattern is JIT-compiled: a scan of many
 * messages gets JIT for every pattern it uses often; `filter`, `check` of
 * a few files and `explain` never pay for it. */
#define PATTERN_JIT_AFTER 4

struct _Pattern {
	const char *spec;    /* "/re/flags", or the bare regex of pattern_compile_raw */
	gboolean own_spec;   /* spec is a copy (not a lazy pattern's borrowed text) */
	gsize regex_len;     /* lazy: the regex is spec[1..regex_len], compiled on first use */
	guint32 options;
	gsize compiled;      /* g_once: code is set (lazy patterns) */
	pcre2_code *code;    /* the interpreter's; NULL when a lazy compile failed */
	pcre2_code *jit;     /* a JIT-compiled copy, once published (atomic) */
	gint uses;           /* interpreted matches, up to PATTERN_JIT_AFTER (atomic) */
};

G_STATIC_ASSERT (PATTERN_MULTILINE == PCRE2_MULTILINE);

G_DEFINE_QUARK (ndrsift-pattern-error-quark, pattern_error)

/* Matches stopped at a limit, per thread: a message is judged in one
 * thread, so the difference before and after tells what its own matches
 * hit. */
static _Thread_local guint thread_limit_hits;

static pcre2_match_context *
match_context (void)
{
	static gsize once;
	static pcre2_match_context *ctx;

	if (g_once_init_enter (&once)) {
		pcre2_match_context *c = pcre2_match_context_create (NULL);
		pcre2_set_match_limit (c, NS_PCRE2_MATCH_LIMIT);
		pcre2_set_depth_limit (c, NS_PCRE2_DEPTH_LIMIT);
		pcre2_set_heap_limit (c, NS_PCRE2_HEAP_LIMIT_KB);
		ctx = c;
		g_once_init_leave (&once, 1);
	}
	return ctx;
}

static void
match_data_free (gpointer data)
{
	pcre2_match_data_free (data);
}

static GPrivate thread_match_data = G_PRIVATE_INIT (match_data_free);

/* Match data big enough for code, owned by this thread. */
static pcre2_match_data *
match_data_for (const pcre2_code *code)
{
	pcre2_match_data *md = g_private_get (&thread_match_data);
	guint32 pairs = 0;

	pcre2_pattern_info (code, PCRE2_INFO_CAPTURECOUNT, &pairs);
	pairs += 1;
	if (md == NULL || pcre2_get_ovector_count (md) < pairs) {
		md = pcre2_match_data_create (MAX (pairs, 16), NULL);
		g_private_replace (&thread_match_data, md);
	}
	return md;
}

static pcre2_code *
compile (const char *regex, gsize len, guint32 options, GError **error)
{
	int errcode;
	PCRE2_SIZE erroff;
	pcre2_code *code = pcre2_compile ((PCRE2_SPTR) regex, len, options, &errcode, &erroff, NULL);
	if (code == NULL) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message (errcode, msg, sizeof msg);
		g_set_error (error, PATTERN_ERROR, PATTERN_ERROR_REGEX, "bad regular expression at offset %zu: %s",
		             (size_t) erroff, (const char *) msg);
	}
	return code;
}

static Pattern *
compiled_pattern (pcre2_code *code, const char *spec)
{
	Pattern *p = g_new0 (Pattern, 1);
	p->code = code;
	p->compiled = 1;
	p->spec = g_strdup (spec);
	p->own_spec = TRUE;
	return p;
}

Pattern *
pattern_compile_raw (const char *regex, guint32 options, GError **error)
{
	pcre2_code *code = compile (regex, PCRE2_ZERO_TERMINATED, options, error);
	return code ? compiled_pattern (code, regex) : NULL;
}

/* Splits "/re/flags": the regex is spec[1..*len] (nothing is copied; the
 * line is read once per start-up), the flags become PCRE2 option bits. */
static gboolean
split_spec (const char *spec, gsize *regex_len, guint32 *options, GError **error)
{
	gsize len = spec ? strlen (spec) : 0;

	*options = 0;
	if (len < 2 || spec[0] != '/') {
		g_set_error (error, PATTERN_ERROR, PATTERN_ERROR_SYNTAX, "a pattern is written /regex/flags, not '%s'",
		             spec ? spec : "");
		return FALSE;
	}
	const char *close = strrchr (spec + 1, '/');
	if (close == NULL) {
		g_set_error (error, PATTERN_ERROR, PATTERN_ERROR_SYNTAX, "pattern '%s' has no closing '/'", spec);
		return FALSE;
	}
	for (const char *f = close + 1; *f; f++) {
		switch (*f) {
		case 'i': *options |= PCRE2_CASELESS; break;
		case 'm': *options |= PCRE2_MULTILINE; break;
		case 's': *options |= PCRE2_DOTALL; break;
		case 'x': *options |= PCRE2_EXTENDED; break;
		default:
			g_set_error (error, PATTERN_ERROR, PATTERN_ERROR_SYNTAX, "pattern '%s': unknown flag '%c'", spec, *f);
			return FALSE;
		}
	}
	*regex_len = close - spec - 1;
	return TRUE;
}

Pattern *
pattern_compile_full (const char *spec, guint32 extra_options, GError **error)
{
	gsize len;
	guint32 options;
	if (!split_spec (spec, &len, &options, error))
		return NULL;
	pcre2_code *code = compile (spec + 1, len, options | extra_options, error);
	return code ? compiled_pattern (code, spec) : NULL;
}

Pattern *
pattern_compile (const char *spec, GError **error)
{
	return pattern_compile_full (spec, 0, error);
}

Pattern *
pattern_new_lazy (const char *spec, guint32 extra_options, GError **error)
{
	gsize len;
	guint32 options;
	if (!split_spec (spec, &len, &options, error))
		return NULL;
	Pattern *p = g_new0 (Pattern, 1);
	p->spec = spec;
	p->regex_len = len;
	p->options = options | extra_options;
	return p;
}

/* The compiled code, compiling a lazy pattern on first use; NULL when it
 * does not compile (said once). */
static const pcre2_code *
code_of (Pattern *p)
{
	if (g_once_init_enter (&p->compiled)) {
		g_autoptr (GError) error = NULL;
		p->code = compile (p->spec + 1, p->regex_len, p->options, &error);
		if (p->code == NULL)
			g_warning ("pattern %s does not compile: %s; it never matches", p->spec, error->message);
		g_once_init_leave (&p->compiled, 1);
	}
	return p->code;
}

/* Counts an interpreted match; the one that reaches PATTERN_JIT_AFTER
 * JIT-compiles a copy of the code and publishes it. Where JIT is not
 * available the interpreter goes on, with the same limits. */
static void
count_use (Pattern *p, const pcre2_code *code)
{
	if (g_atomic_int_get (&p->uses) >= PATTERN_JIT_AFTER ||
	    g_atomic_int_add (&p->uses, 1) != PATTERN_JIT_AFTER - 1)
		return;
	pcre2_code *copy = pcre2_code_copy (code);
	if (copy && pcre2_jit_compile (copy, PCRE2_JIT_COMPLETE) == 0)
		g_atomic_pointer_set (&p->jit, copy);
	else
		pcre2_code_free (copy);
}

gboolean
pattern_search (const Pattern *p, const char *subject, gsize len, gsize from,
                gsize *start, gsize *end)
{
	if (p == NULL || subject == NULL || from > len)
		return FALSE;

	Pattern *mp = (Pattern *) p;
	const pcre2_code *code = g_atomic_pointer_get (&mp->jit);
	if (code == NULL) {
		code = code_of (mp);
		if (code == NULL)
			return FALSE;
		count_use (mp, code);
	}
	pcre2_match_data *md = match_data_for (code);
	int rc = pcre2_match (code, (PCRE2_SPTR) subject, len, from, 0, md, match_context ());
	if (rc < 0) {
		if (rc != PCRE2_ERROR_NOMATCH)
			thread_limit_hits++;
		return FALSE;
	}
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer (md);
	if (start)
		*start = ov[0];
	if (end)
		*end = ov[1];
	return TRUE;
}

gboolean
pattern_matches (const Pattern *p, const char *subject, gsize len)
{
	return pattern_search (p, subject, len, 0, NULL, NULL);
}

guint
pattern_limit_hits_this_thread (void)
{
	return thread_limit_hits;
}

const char *
pattern_spec (const Pattern *p)
{
	return p->spec;
}

void
pattern_free (Pattern *p)
{
	if (p == NULL)
		return;
	pcre2_code_free (p->code);
	pcre2_code_free (p->jit);
	if (p->own_spec)
		g_free ((char *) p->spec);
	g_free (p);
}
