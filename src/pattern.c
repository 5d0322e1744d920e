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
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1       /* memmem() */
#endif
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "ndrsift/limits.h"
#include "pattern.h"
#include "prebuilt.h"

/* Interpreted matches before a pattern is JIT-compiled: a scan of many
 * messages gets JIT for every pattern it uses often; `filter`, `check` of
 * a few files and `explain` never pay for it. */
#define PATTERN_JIT_AFTER 4

/* The most of a required literal a lazy pattern's prefilter looks for. */
#define PATTERN_LITERAL_MAX 64

/* What every match of a lazy pattern holds (the required literal below). */
typedef struct {
	guint8 len;          /* 0: no literal known */
	guint8 anchor;       /* the byte searched for first (the rarest) */
	char bytes[];        /* lowercase when caseless */
} Literal;

/* A lazy pattern's first use publishes its code and literal with one
 * compare-and-swap each, not g_once: g_once_init_leave() wakes waiters
 * with a futex system call every time, and a `filter` process trying
 * family after family's patterns made some 130 of them. Two threads that
 * meet there both do the work; one publishes it. */
struct _Pattern {
	const char *spec;    /* "/re/flags", or the bare regex of pattern_compile_raw */
	gsize regex_len;     /* lazy: the regex is spec[1..regex_len], compiled on first use */
	pcre2_code *code;    /* the interpreter's; lazy: NULL until first use, NO_CODE when it did not compile (atomic) */
	pcre2_code *jit;     /* a JIT-compiled copy, once published (atomic) */
	Literal *literal;    /* lazy: NULL until first use (atomic) */
	guint32 options;
	gint uses;           /* interpreted matches, up to PATTERN_JIT_AFTER (atomic) */
	/* A filter process makes some 170 of these at start: kept small. */
	guint own_spec : 1;  /* spec is a copy (not a lazy pattern's borrowed text) */
	guint lazy : 1;      /* made by pattern_new_lazy */
	guint caseless : 1;  /* the literal is lowercase, compared caseless */
};

G_STATIC_ASSERT (PATTERN_LITERAL_MAX <= G_MAXUINT8);

/* A lazy pattern's code that does not compile, and its literal when it
 * has none: markers, never freed. */
static const char no_code_marker;
#define NO_CODE ((pcre2_code *) &no_code_marker)
static Literal no_literal;

G_STATIC_ASSERT (PATTERN_MULTILINE == PCRE2_MULTILINE);

G_DEFINE_QUARK (ndrsift-pattern-error-quark, pattern_error)

/* Matches stopped at a limit, per thread: a message is judged in one
 * thread, so the difference before and after tells what its own matches
 * hit. */
static _Thread_local guint thread_limit_hits;

/* The required-literal prefilter of lazy patterns (see below); off only
 * for a test that compares. */
static gboolean prefilter_on = TRUE;

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

/* src/gen-prebuilt.c's: told of every regex compiled (pattern.h). */
static PatternCompiled recorder;
static gpointer recorder_data;

void
pattern_record_compiles (PatternCompiled record, gpointer data)
{
	recorder = record;
	recorder_data = data;
}

/* The shipped patterns come compiled with the program (src/prebuilt.h). */
static pcre2_code *
compile (const char *regex, gsize len, guint32 options, GError **error)
{
	if (len == PCRE2_ZERO_TERMINATED)
		len = strlen (regex);
	pcre2_code *code = prebuilt_code (regex, len, options);
	if (code != NULL)
		return code;
	int errcode;
	PCRE2_SIZE erroff;
	code = pcre2_compile ((PCRE2_SPTR) regex, len, options, &errcode, &erroff, NULL);
	if (code == NULL) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message (errcode, msg, sizeof msg);
		g_set_error (error, PATTERN_ERROR, PATTERN_ERROR_REGEX, "bad regular expression at offset %zu: %s",
		             (size_t) erroff, (const char *) msg);
	} else if (G_UNLIKELY (recorder != NULL)) {
		recorder (regex, len, options, code, recorder_data);
	}
	return code;
}

static Pattern *
compiled_pattern (pcre2_code *code, const char *spec)
{
	Pattern *p = g_new0 (Pattern, 1);
	p->code = code;
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

/* ---- the required literal ------------------------------------------------
 *
 * A lazy pattern is compiled on its first match, and `textbounce` tries
 * the body patterns of family after family: a bounce no early family
 * recognises had PCRE2 compile some hundred patterns (3 M instructions)
 * only to find that most cannot match. A run of plain bytes that every
 * match must hold ("This is the mail system at host ") tells that more
 * cheaply: when the text lacks it, the pattern does not match, and is
 * not compiled. The run is read off the regex only where that is plainly
 * right; anything else gives no literal (and the pattern is matched as
 * always):
 *   - /x, an alternation at the top level, \Q..\E, option settings and
 *     verbs ((?i), (*UTF)), escapes taking arguments or naming groups,
 *     and a '{' that is not a plain {m}, {m,} or {m,n}: no literal;
 *   - groups, classes, '.', anchors and class escapes (\d, \b, ...)
 *     end a run; a byte with a quantifier that allows none ends it
 *     before that byte, any other quantifier after it;
 *   - caseless: letters compare in ASCII caseless (PCRE2 without UTF
 *     folds no other byte); k, s and bytes >= 0x80 end a run, since
 *     Unicode caseless matching maps k and s to other characters.
 * A match never reaches out of its subject, and the bytes of a top-level
 * run are consumed, not looked around: so they lie at or after the
 * starting offset. What differs: a pattern that cannot match is never
 * tried, so a regex bomb on such a text no longer counts a limit hit. */

/* Skips a quantifier at re[*i] (with its lazy or possessive mark), if
 * any (*quantified); *min: the fewest repeats it allows (1 without one).
 * FALSE: something that is not plainly a quantifier. */
static gboolean
skip_quantifier (const char *re, gsize n, gsize *i, guint *min, gboolean *quantified)
{
	*min = 1;
	*quantified = FALSE;
	if (*i >= n)
		return TRUE;
	char q = re[*i];
	if (q == '?' || q == '*')
		*min = 0;
	else if (q == '{') {
		gsize j = *i + 1, digits = 0;
		guint m = 0;
		while (j < n && g_ascii_isdigit (re[j]) && digits < 6)
			m = m * 10 + (guint) (re[j++] - '0'), digits++;
		if (digits == 0 || digits == 6)
			return FALSE;
		if (j < n && re[j] == ',') {
			j++;
			for (digits = 0; j < n && g_ascii_isdigit (re[j]) && digits < 6; digits++)
				j++;
		}
		if (j >= n || re[j] != '}')
			return FALSE;
		*min = m;
		*i = j;
	} else if (q != '+')
		return TRUE;
	*quantified = TRUE;
	(*i)++;
	if (*i < n && (re[*i] == '?' || re[*i] == '+'))
		(*i)++;
	return TRUE;
}

/* Skips a class at re[*i] == '['. */
static gboolean
skip_class (const char *re, gsize n, gsize *i)
{
	gsize j = *i + 1;
	if (j < n && re[j] == '^')
		j++;
	if (j < n && re[j] == ']')
		j++; /* a ']' first is a member */
	while (j < n && re[j] != ']') {
		if (re[j] == '\\') {
			if (j + 1 >= n || re[j + 1] == 'Q' || re[j + 1] == 'E')
				return FALSE;
			j += 2;
		} else if (re[j] == '[' && j + 1 < n && re[j + 1] == ':') {
			const char *end = g_strstr_len (re + j + 2, n - j - 2, ":]");
			if (end == NULL)
				return FALSE;
			j = end - re + 2;
		} else
			j++;
	}
	if (j >= n)
		return FALSE;
	*i = j + 1;
	return TRUE;
}

/* Skips a group at re[*i] == '(' (to its ')'). Only plain groups,
 * lookarounds and named groups: an option setting at the top level would
 * change how the rest matches. */
static gboolean
skip_group (const char *re, gsize n, gsize *i)
{
	gsize j = *i + 1;
	if (j < n && re[j] == '*')
		return FALSE;
	if (j < n && re[j] == '?') {
		const char *kind = re + j + 1;
		gsize left = n - j - 1;
		if (!(left >= 1 && strchr (":=!>", kind[0])) &&
		    !(left >= 2 && kind[0] == '<' && (kind[1] == '=' || kind[1] == '!' || g_ascii_isalpha (kind[1]))) &&
		    !(left >= 3 && kind[0] == 'P' && kind[1] == '<' && g_ascii_isalpha (kind[2])))
			return FALSE;
	}
	guint depth = 1;
	while (j < n && depth > 0) {
		if (re[j] == '\\') {
			if (j + 1 >= n || re[j + 1] == 'Q' || re[j + 1] == 'E')
				return FALSE;
			j += 2;
		} else if (re[j] == '[') {
			if (!skip_class (re, n, &j))
				return FALSE;
		} else {
			depth += re[j] == '(';
			depth -= re[j] == ')';
			j++;
		}
	}
	if (depth > 0)
		return FALSE;
	*i = j;
	return TRUE;
}

/* The longest run of bytes every match of re[0..n) holds (lowercase when
 * caseless), at most PATTERN_LITERAL_MAX of it (a part of such a run is
 * one too), into best; returns its length, 0 when there is none (see
 * above). */
static gsize
required_literal (const char *re, gsize n, gboolean caseless, char best[PATTERN_LITERAL_MAX])
{
	char run[PATTERN_LITERAL_MAX];
	gsize run_len = 0, best_len = 0;
	for (gsize i = 0; i < n;) {
		gboolean literal = FALSE;
		char c = re[i];
		switch (c) {
		case '\\':
			if (i + 1 >= n)
				return 0;
			c = re[i + 1];
			/* Escapes of one character class or assertion; any other
			 * letter or digit may take arguments or name a group. */
			if (g_ascii_isalnum (c) && strchr ("dDwWsSbBhHvVRXAzZGKntrfae", c) == NULL)
				return 0;
			literal = !g_ascii_isalnum (c) && !(c & 0x80);
			i += 2;
			break;
		case '[':
			if (!skip_class (re, n, &i))
				return 0;
			break;
		case '(':
			if (!skip_group (re, n, &i))
				return 0;
			break;
		case '.': case '^': case '$':
			i++;
			break;
		case '|': case ')': case '*': case '+': case '?': case '{':
			return 0; /* an alternation, or nothing plain */
		default:
			literal = TRUE;
			i++;
		}
		if (literal && caseless && ((c & 0x80) || c == 'k' || c == 'K' || c == 's' || c == 'S'))
			literal = FALSE;
		guint min;
		gboolean quantified;
		if (!skip_quantifier (re, n, &i, &min, &quantified))
			return 0;
		if (literal && min > 0 && run_len < PATTERN_LITERAL_MAX)
			run[run_len++] = caseless ? g_ascii_tolower (c) : c;
		/* A run goes on only over a byte matched exactly once. */
		if (!literal || quantified) {
			if (run_len > best_len)
				memcpy (best, run, best_len = run_len);
			run_len = 0;
		}
	}
	if (run_len > best_len)
		memcpy (best, run, best_len = run_len);
	return best_len;
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
	p->lazy = TRUE;
	p->regex_len = len;
	p->options = options | extra_options;
	/* Set here, not when the literal is read: the bit shares a word with
	 * lazy, which other threads read meanwhile. */
	p->caseless = (p->options & PCRE2_CASELESS) != 0;
	return p;
}

/* How often a byte is in mail text, roughly (English letter frequencies;
 * blanks and common punctuation high): a caseless literal is searched by
 * its rarest byte. */
static guint
byte_rank (char c)
{
	static const guint8 letters[26] = {
		/* a-z */ 24, 9, 15, 16, 26, 12, 10, 17, 22, 3, 6, 17, 14, 21, 23, 11, 1, 19, 20, 25, 13, 7, 9, 4, 8, 2,
	};
	if (g_ascii_isalpha (c))
		return letters[g_ascii_tolower (c) - 'a'];
	return c == ' ' || c == '.' || c == ',' || c == '-' || c == '\n' ? 27 : 0;
}

/* The required literal of a lazy pattern, read on first use. (transfer none) */
static const Literal *
literal_of (Pattern *p)
{
	Literal *known = g_atomic_pointer_get (&p->literal);
	if (G_LIKELY (known != NULL))
		return known;
	Literal *mine = &no_literal;
	char lit[PATTERN_LITERAL_MAX];
	gsize len = p->options & PCRE2_EXTENDED ? 0 : required_literal (p->spec + 1, p->regex_len, p->caseless, lit);
	/* One byte a memchr finds as fast as PCRE2's own start-up. */
	if (len >= 2) {
		mine = g_malloc (sizeof (Literal) + len);
		mine->len = (guint8) len;
		mine->anchor = 0;
		memcpy (mine->bytes, lit, len);
		for (gsize k = 1; p->caseless && k < len; k++)
			if (byte_rank (lit[k]) < byte_rank (lit[mine->anchor]))
				mine->anchor = (guint8) k;
	}
	if (g_atomic_pointer_compare_and_exchange (&p->literal, NULL, mine))
		return mine;
	if (mine != &no_literal)
		g_free (mine);
	return g_atomic_pointer_get (&p->literal);
}

/* Whether s[0..n) holds the literal l of p. */
static gboolean
holds_literal (const Pattern *p, const Literal *l, const char *s, gsize n)
{
	const char *lit = l->bytes;
	gsize m = l->len;
	if (n < m)
		return FALSE;
	if (!p->caseless)
		return memmem (s, n, lit, m) != NULL;
	/* The rarest byte in either case, then the whole literal around it. */
	char lo = lit[l->anchor], up = g_ascii_toupper (lo);
	const char *at = s + l->anchor, *end = s + n - m + l->anchor + 1;
	const char *next_lo = NULL, *next_up = NULL;
	while (at < end) {
		if (next_lo < at && (next_lo = memchr (at, lo, end - at)) == NULL)
			next_lo = end;
		if (next_up < at && (up == lo || (next_up = memchr (at, up, end - at)) == NULL))
			next_up = end;
		const char *c = MIN (next_lo, next_up);
		if (c >= end)
			return FALSE;
		const char *start = c - l->anchor;
		gsize k = 0;
		while (k < m && g_ascii_tolower (start[k]) == lit[k])
			k++;
		if (k == m)
			return TRUE;
		at = c + 1;
	}
	return FALSE;
}

/* Whether a match of the lazy pattern p in subject[from..len) is ruled
 * out by its literal (the required literal above). */
static gboolean
ruled_out (Pattern *p, const char *subject, gsize len, gsize from)
{
	if (!p->lazy || !prefilter_on)
		return FALSE;
	const Literal *l = literal_of (p);
	return l->len > 0 && !holds_literal (p, l, subject + from, len - from);
}

char *
pattern_required_literal (const char *spec, guint32 extra_options)
{
	gsize len;
	guint32 options;
	if (!split_spec (spec, &len, &options, NULL))
		return NULL;
	options |= extra_options;
	if (options & PCRE2_EXTENDED)
		return NULL;
	char lit[PATTERN_LITERAL_MAX];
	gsize n = required_literal (spec + 1, len, (options & PCRE2_CASELESS) != 0, lit);
	return n ? g_strndup (lit, n) : NULL;
}

void
pattern_set_prefilter (gboolean on)
{
	prefilter_on = on;
}

/* The compiled code, compiling a lazy pattern on first use; NULL when it
 * does not compile (said once). */
static const pcre2_code *
code_of (Pattern *p)
{
	pcre2_code *code = g_atomic_pointer_get (&p->code);
	if (G_LIKELY (code != NULL))
		return code == NO_CODE ? NULL : code;
	g_autoptr (GError) error = NULL;
	pcre2_code *mine = compile (p->spec + 1, p->regex_len, p->options, &error);
	if (g_atomic_pointer_compare_and_exchange (&p->code, NULL, mine ? mine : NO_CODE)) {
		if (mine == NULL)
			g_warning ("pattern %s does not compile: %s; it never matches", p->spec, error->message);
		return mine;
	}
	pcre2_code_free (mine);
	code = g_atomic_pointer_get (&p->code);
	return code == NO_CODE ? NULL : code;
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
		if (ruled_out (mp, subject, len, from))
			return FALSE;
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
	if (p->code != NO_CODE)
		pcre2_code_free (p->code);
	pcre2_code_free (p->jit);
	if (p->literal != &no_literal)
		g_free (p->literal);
	if (p->own_spec)
		g_free ((char *) p->spec);
	g_free (p);
}
