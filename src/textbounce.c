/* textbounce — *.formats loading, family recognition, inline originals.
 * See src/textbounce.h for the file syntax and the search order.
 *
 * Every pattern is compiled once (those of the built-in files on first
 * use, see `pattern`) and matched on its own:
 * JIT's start-of-match optimisations (a line start, a first byte) work per
 * pattern, and patterns never share groups, comments or backreferences.
 * Recognition stops at the first family recognised; marker patterns of a
 * search pass are collected and tried in text order.
 *
 * Loading is start-up, paid by every `filter` process: the formats keep
 * each file's text, cut into words in place, and point into it (names,
 * fields, pattern texts) rather than copying a word; families and
 * patterns are two arrays; samples are only read for `rules check`. */
#include <string.h>

#include "ndrsift/config.h"
#include "ndrsift/headers.h"
#include "ndrsift/limits.h"
#include "msgid.h"
#include "pattern.h"
#include "rulefiles.h"
#include "textbounce.h"

typedef enum {
	TARGET_SUBJECT,
	TARGET_FROM,
	TARGET_HEADER,
	TARGET_BODY,
	TARGET_SEPARATOR,
	TARGET_FIRST_HEADER,
	TARGET_RECIPIENT,
} Target;

/* The end of a family's chain of patterns. */
#define NONE G_MAXUINT

/* Strings of a family or pattern point into the file texts the formats
 * keep (TextbounceFormats.texts): loading copies no word. */
typedef struct {
	Target target;
	guint family;
	const char *field; /* TARGET_HEADER; TARGET_RECIPIENT read from a header */
	Pattern *re;       /* its text is pattern_spec() */
	guint next;        /* the family's next pattern (an index of patterns), or NONE */
} FormatPattern;

typedef struct {
	const char *name;
	const char *kind;
	const char *file;      /* where it is declared: file, line */
	guint line;
	int priority;
	gboolean match_all;    /* `match NAME all` */
	guint first, last;     /* its patterns in reading order, chained by FormatPattern.next */
	guint nsamples;
	GPtrArray *samples;    /* TextbounceSample*, kept only by textbounce_formats_check */
} Family;

struct _TextbounceFormats {
	GArray *families;      /* Family, in reading order (indices are family ids) */
	GHashTable *by_name;   /* Family name (borrowed) -> its id + 1 */
	GArray *patterns;      /* FormatPattern, in reading order */
	GArray *order;         /* int family ids by priority, reading order among equals */
	GPtrArray *texts;      /* the files' names and texts, which the strings above point into */
	gboolean checking;     /* textbounce_formats_check: compile every pattern, keep samples */
	guint recent;          /* the family of the line before + 1, 0 for none: lines come by family */
};

#define FAMILY(f, id) (&g_array_index ((f)->families, Family, (id)))
#define PATTERN(f, i) (&g_array_index ((f)->patterns, FormatPattern, (i)))

static const char *const kinds[] = { "ndr", "autoreply", "challenge", "virus", "dsn", "mdn", "feedback", NULL };

G_DEFINE_QUARK (ndrsift-textbounce-error-quark, textbounce_error)
/* rulefiles_read_lines reports an overlong line with this code. */
G_STATIC_ASSERT (TEXTBOUNCE_ERROR_LIMIT == RULEFILES_LINE_TOO_LONG);

static void
pattern_entry_clear (gpointer data)
{
	pattern_free (((FormatPattern *) data)->re);
}

static void
family_clear (gpointer data)
{
	Family *fam = data;
	if (fam->samples)
		g_ptr_array_unref (fam->samples);
}

static void
sample_free (gpointer data)
{
	TextbounceSample *s = data;
	g_free (s->path);
	g_free (s->original);
	g_free (s->recipient);
	g_free (s->where);
	g_free (s);
}

void
textbounce_formats_free (TextbounceFormats *formats)
{
	if (formats == NULL)
		return;
	g_hash_table_unref (formats->by_name);
	g_array_unref (formats->families);
	g_array_unref (formats->patterns);
	if (formats->order)
		g_array_unref (formats->order);
	g_ptr_array_unref (formats->texts);
	g_free (formats);
}

void
textbounce_quote_free (TextbounceQuote *quote)
{
	if (quote == NULL)
		return;
	g_free (quote->headers);
	g_free (quote->prefix);
	g_free (quote->family);
	g_free (quote->marker);
	g_free (quote);
}

static TextbounceFormats *
formats_new (gboolean checking)
{
	TextbounceFormats *f = g_new0 (TextbounceFormats, 1);
	/* Sized for the shipped files (some 40 families, 170 patterns). */
	f->families = g_array_sized_new (FALSE, TRUE, sizeof (Family), 64);
	g_array_set_clear_func (f->families, family_clear);
	f->by_name = g_hash_table_new (g_str_hash, g_str_equal);
	f->patterns = g_array_sized_new (FALSE, TRUE, sizeof (FormatPattern), 256);
	g_array_set_clear_func (f->patterns, pattern_entry_clear);
	f->texts = g_ptr_array_new_with_free_func (g_free);
	f->checking = checking;
	return f;
}

/* The family's id, or -1; the family of the line before is asked for
 * most. */
static int
family_index (TextbounceFormats *f, const char *name)
{
	if (f->recent && strcmp (FAMILY (f, f->recent - 1)->name, name) == 0)
		return (int) f->recent - 1;
	int id = GPOINTER_TO_INT (g_hash_table_lookup (f->by_name, name)) - 1;
	if (id >= 0)
		f->recent = (guint) id + 1;
	return id;
}

/* "priority NAME N": families are tried by ascending N. */
static gboolean
parse_priority (Family *fam, char *cursor, GError **error)
{
	const char *word = rulefiles_next_word (&cursor);
	guint64 n = 0;
	if (word == NULL || rulefiles_next_word (&cursor) ||
	    !g_ascii_string_to_unsigned (word, 10, 0, NS_FORMAT_MAX_PRIORITY, &n, NULL)) {
		g_set_error (error, TEXTBOUNCE_ERROR, TEXTBOUNCE_ERROR_INVALID, "priority %s: give one number from 0 to %d",
		             fam->name, NS_FORMAT_MAX_PRIORITY);
		return FALSE;
	}
	fam->priority = (int) n;
	return TRUE;
}

/* "match NAME any|all". */
static gboolean
parse_match (Family *fam, char *cursor, GError **error)
{
	const char *word = rulefiles_next_word (&cursor);
	if (word == NULL || rulefiles_next_word (&cursor) || (strcmp (word, "any") != 0 && strcmp (word, "all") != 0)) {
		g_set_error (error, TEXTBOUNCE_ERROR, TEXTBOUNCE_ERROR_INVALID, "match %s: give any or all", fam->name);
		return FALSE;
	}
	fam->match_all = word[1] == 'l';
	return TRUE;
}

/* "sample NAME FILE original=ID|none recipient=ADDR|none"; FILE is
 * relative to the directory of the file that names it. Only `rules check`
 * reads samples: loading checks the line and counts it. */
static gboolean
parse_sample (Family *fam, char *cursor, const char *file, guint line, gboolean keep, GError **error)
{
	const char *path = rulefiles_next_word (&cursor);
	const char *original = NULL, *recipient = NULL, *word;
	while ((word = rulefiles_next_word (&cursor))) {
		if (g_str_has_prefix (word, "original=") && original == NULL)
			original = word + strlen ("original=");
		else if (g_str_has_prefix (word, "recipient=") && recipient == NULL)
			recipient = word + strlen ("recipient=");
		else
			original = recipient = "";
	}
	if (path == NULL || original == NULL || recipient == NULL || !*original || !*recipient) {
		g_set_error (error, TEXTBOUNCE_ERROR, TEXTBOUNCE_ERROR_INVALID,
		             "sample %s: give FILE original=<ID>|none recipient=ADDRESS|none", fam->name);
		return FALSE;
	}
	if (fam->nsamples >= NS_MAX_FORMAT_SAMPLES) {
		g_set_error (error, TEXTBOUNCE_ERROR, TEXTBOUNCE_ERROR_LIMIT, "family %s: more than %d samples", fam->name,
		             NS_MAX_FORMAT_SAMPLES);
		return FALSE;
	}
	fam->nsamples++;
	if (!keep)
		return TRUE;
	g_autofree char *dir = g_path_get_dirname (file);
	TextbounceSample *s = g_new0 (TextbounceSample, 1);
	s->path = g_path_is_absolute (path) ? g_strdup (path) : g_build_filename (dir, path, NULL);
	s->original = strcmp (original, "none") == 0 ? NULL : g_strdup (original);
	s->recipient = strcmp (recipient, "none") == 0 ? NULL : g_strdup (recipient);
	s->where = rulefiles_where (file, line);
	if (fam->samples == NULL)
		fam->samples = g_ptr_array_new_with_free_func (sample_free);
	g_ptr_array_add (fam->samples, s);
	return TRUE;
}

static gint
by_priority (gconstpointer a, gconstpointer b, gpointer data)
{
	const TextbounceFormats *f = data;
	int x = *(const int *) a, y = *(const int *) b;
	int px = FAMILY (f, x)->priority;
	int py = FAMILY (f, y)->priority;
	return px != py ? (px < py ? -1 : 1) : (x < y ? -1 : x > y);
}

/* Fixes the order families are tried in, once every file is read. */
static TextbounceFormats *
finish (TextbounceFormats *f)
{
	f->order = g_array_sized_new (FALSE, FALSE, sizeof (int), f->families->len);
	for (guint i = 0; i < f->families->len; i++) {
		int id = (int) i;
		g_array_append_val (f->order, id);
	}
	g_array_sort_with_data (f->order, by_priority, f);
	return f;
}

typedef enum {
	DIRECTIVE_FAMILY = TARGET_RECIPIENT + 1,
	DIRECTIVE_PRIORITY,
	DIRECTIVE_MATCH,
	DIRECTIVE_SAMPLE,
	DIRECTIVE_UNKNOWN,
} Directive;

/* A directive word: a Target, or one of Directive. */
static int
directive_of (const char *word)
{
	static const struct { const char *word; int directive; } directives[] = {
		{ "subject", TARGET_SUBJECT }, { "from", TARGET_FROM }, { "header", TARGET_HEADER },
		{ "body", TARGET_BODY }, { "separator", TARGET_SEPARATOR },
		{ "first-header", TARGET_FIRST_HEADER }, { "recipient", TARGET_RECIPIENT },
		{ "family", DIRECTIVE_FAMILY }, { "priority", DIRECTIVE_PRIORITY }, { "match", DIRECTIVE_MATCH },
		{ "sample", DIRECTIVE_SAMPLE },
	};
	/* Their first letters and lengths tell them apart but for one
	 * strcmp. */
	for (guint i = 0; i < G_N_ELEMENTS (directives); i++)
		if (word[0] == directives[i].word[0] && strcmp (word, directives[i].word) == 0)
			return directives[i].directive;
	return DIRECTIVE_UNKNOWN;
}

/* Parses one line into f; lazy: compile its pattern on first use (a
 * built-in line). Returns FALSE with error (without location). */
static gboolean
parse_line (TextbounceFormats *f, char *line, const char *file, guint lineno, gboolean lazy, GError **error)
{
	char *cursor = line;
	const char *directive = rulefiles_next_word (&cursor);
	const char *name = rulefiles_next_word (&cursor);

	if (directive == NULL)
		return TRUE;
	if (name == NULL) {
		g_set_error (error, TEXTBOUNCE_ERROR, TEXTBOUNCE_ERROR_INVALID, "'%s' needs a family name", directive);
		return FALSE;
	}
	int which = directive_of (directive);
	if (which == DIRECTIVE_FAMILY) {
		const char *kind = rulefiles_next_word (&cursor);
		if (kind == NULL || !g_strv_contains (kinds, kind) || rulefiles_next_word (&cursor)) {
			g_set_error (error, TEXTBOUNCE_ERROR, TEXTBOUNCE_ERROR_INVALID,
			             "family %s: give one kind of ndr, autoreply, challenge, virus, dsn, mdn, feedback",
			             name);
			return FALSE;
		}
		int seen = family_index (f, name);
		if (seen >= 0) {
			g_autofree char *where = rulefiles_where (FAMILY (f, seen)->file, FAMILY (f, seen)->line);
			g_set_error (error, TEXTBOUNCE_ERROR, TEXTBOUNCE_ERROR_INVALID, "family %s is already declared at %s",
			             name, where);
			return FALSE;
		}
		Family fam = {
			.name = name, .kind = kind, .file = file, .line = lineno,
			.priority = NS_FORMAT_DEFAULT_PRIORITY, .first = NONE, .last = NONE,
		};
		g_array_append_val (f->families, fam);
		g_hash_table_insert (f->by_name, (gpointer) name, GINT_TO_POINTER (f->families->len));
		f->recent = f->families->len;
		return TRUE;
	}
	if (which == DIRECTIVE_PRIORITY || which == DIRECTIVE_MATCH || which == DIRECTIVE_SAMPLE) {
		int family = family_index (f, name);
		if (family < 0) {
			g_set_error (error, TEXTBOUNCE_ERROR, TEXTBOUNCE_ERROR_INVALID, "family %s is not declared (add: family %s KIND)",
			             name, name);
			return FALSE;
		}
		Family *fam = FAMILY (f, family);
		if (which == DIRECTIVE_PRIORITY)
			return parse_priority (fam, cursor, error);
		if (which == DIRECTIVE_MATCH)
			return parse_match (fam, cursor, error);
		return parse_sample (fam, cursor, file, lineno, f->checking, error);
	}

	if (which == DIRECTIVE_UNKNOWN) {
		g_set_error (error, TEXTBOUNCE_ERROR, TEXTBOUNCE_ERROR_INVALID, "unknown directive '%s'", directive);
		return FALSE;
	}
	Target target = (Target) which;
	int family = family_index (f, name);
	if (family < 0) {
		g_set_error (error, TEXTBOUNCE_ERROR, TEXTBOUNCE_ERROR_INVALID, "family %s is not declared (add: family %s KIND)",
		             name, name);
		return FALSE;
	}
	const char *field = NULL;
	if (target == TARGET_HEADER && (field = rulefiles_next_word (&cursor)) == NULL) {
		g_set_error (error, TEXTBOUNCE_ERROR, TEXTBOUNCE_ERROR_INVALID, "header %s needs a field name and a pattern", name);
		return FALSE;
	}
	/* "recipient NAME FIELD /re/" reads a header field, "recipient NAME
	 * /re/" the text. */
	if (target == TARGET_RECIPIENT) {
		while (*cursor == ' ' || *cursor == '\t')
			cursor++;
		if (*cursor != '/' && (field = rulefiles_next_word (&cursor)) == NULL) {
			g_set_error (error, TEXTBOUNCE_ERROR, TEXTBOUNCE_ERROR_INVALID, "recipient %s needs a pattern", name);
			return FALSE;
		}
	}
	cursor = rulefiles_rest (cursor);
	if (f->patterns->len >= NS_MAX_FORMAT_PATTERNS) {
		g_set_error (error, TEXTBOUNCE_ERROR, TEXTBOUNCE_ERROR_LIMIT, "more than %d patterns", NS_MAX_FORMAT_PATTERNS);
		return FALSE;
	}

	g_autoptr (GError) local = NULL;
	/* Text patterns see lines: "^" and "$" are line starts and ends. */
	gboolean lines = target == TARGET_BODY || target == TARGET_SEPARATOR ||
	                 target == TARGET_FIRST_HEADER || (target == TARGET_RECIPIENT && field == NULL);
	guint32 flags = lines ? PATTERN_MULTILINE : 0;
	FormatPattern fp = { target, (guint) family, field, NULL, NONE };
	fp.re = lazy ? pattern_new_lazy (cursor, flags, &local) : pattern_compile_full (cursor, flags, &local);
	if (fp.re == NULL) {
		g_set_error (error, TEXTBOUNCE_ERROR, TEXTBOUNCE_ERROR_INVALID, "%s", local->message);
		return FALSE;
	}
	guint id = f->patterns->len;
	g_array_append_val (f->patterns, fp);
	Family *fam = FAMILY (f, family);
	if (fam->last == NONE)
		fam->first = id;
	else
		PATTERN (f, fam->last)->next = id;
	fam->last = id;
	return TRUE;
}

/* Lines of built-in files compile their patterns on first use, but not
 * for `rules check`, which compiles every one. */
static gboolean
read_line (char *line, const char *file, guint lineno, gboolean builtin, gpointer data, GError **error)
{
	TextbounceFormats *f = data;
	return parse_line (f, line, file, lineno, builtin && !f->checking, error);
}

TextbounceFormats *
textbounce_formats_parse (const char *filename, const char *text, GError **error)
{
	g_autoptr (TextbounceFormats) f = formats_new (FALSE);
	char *name = g_strdup (filename), *copy = g_strdup (text);
	g_ptr_array_add (f->texts, name);
	g_ptr_array_add (f->texts, copy);
	if (!rulefiles_read_lines (name, copy, TEXTBOUNCE_ERROR, read_line, FALSE, f, NULL, error))
		return NULL;
	return finish (g_steal_pointer (&f));
}

/* Loads dirs; with errors NULL it stops at the first error (into error),
 * otherwise it collects them all. */
static TextbounceFormats *
load (const char *const *dirs, GPtrArray *errors, GError **error)
{
	g_autoptr (TextbounceFormats) f = formats_new (errors != NULL);
	if (!rulefiles_read_layered (dirs, ".formats", TEXTBOUNCE_ERROR, read_line, f, f->texts, errors, error))
		return NULL;
	return finish (g_steal_pointer (&f));
}

TextbounceFormats *
textbounce_formats_load (const char *const *dirs, GError **error)
{
	return load (dirs, NULL, error);
}

TextbounceFormats *
textbounce_formats_check (const char *const *dirs, GPtrArray *errors)
{
	return load (dirs, errors, NULL);
}

guint
textbounce_formats_count (const TextbounceFormats *formats)
{
	return formats ? formats->families->len : 0;
}

const char *
textbounce_family_name (const TextbounceFormats *formats, int family)
{
	return FAMILY (formats, family)->name;
}

const char *
textbounce_family_kind (const TextbounceFormats *formats, int family)
{
	return FAMILY (formats, family)->kind;
}

static gboolean
pattern_hits (const FormatPattern *fp, const HeaderBlock *headers, const char *subject,
              const char *from, const char *text, gsize len)
{
	switch (fp->target) {
	case TARGET_SUBJECT:
		return subject && pattern_matches (fp->re, subject, strlen (subject));
	case TARGET_FROM:
		return from && pattern_matches (fp->re, from, strlen (from));
	case TARGET_HEADER:
		for (guint h = 0; headers && h < headers->fields->len; h++) {
			if (g_ascii_strcasecmp (headers_field (headers, h)->name, fp->field) == 0) {
				const char *value = headers_value (headers, h);
				if (pattern_matches (fp->re, value, strlen (value)))
					return TRUE;
			}
		}
		return FALSE;
	case TARGET_BODY:
		return text && pattern_matches (fp->re, text, MIN (len, NS_MAX_FORMAT_BODY_BYTES));
	default:
		return FALSE;
	}
}

static gboolean
recognises (Target t, gboolean wording)
{
	if (wording)
		return t == TARGET_SUBJECT || t == TARGET_BODY;
	return t == TARGET_SUBJECT || t == TARGET_FROM || t == TARGET_HEADER || t == TARGET_BODY;
}

/* Whether fam recognises the message: any one of its subject, from,
 * header and body patterns, or with `match all` one of each kind it has.
 * Header patterns run before body ones: they are short strings. With
 * wording, only the subject and body patterns count. */
static gboolean
family_recognised (const TextbounceFormats *f, const Family *fam, const HeaderBlock *headers, const char *subject,
                   const char *from, const char *text, gsize len, gboolean wording)
{
	guint need = 0, got = 0;
	for (guint i = fam->first; i != NONE; i = PATTERN (f, i)->next) {
		const FormatPattern *fp = PATTERN (f, i);
		if (recognises (fp->target, wording))
			need |= 1u << fp->target;
	}
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && fam->match_all && (got | (1u << TARGET_BODY)) != need)
			return FALSE; /* a header kind did not match: the body cannot help */
		for (guint i = fam->first; i != NONE; i = PATTERN (f, i)->next) {
			const FormatPattern *fp = PATTERN (f, i);
			if (!recognises (fp->target, wording) || (fp->target == TARGET_BODY) != (pass == 1) ||
			    (got & (1u << fp->target)))
				continue;
			if (pattern_hits (fp, headers, subject, from, text, len)) {
				if (!fam->match_all)
					return TRUE;
				got |= 1u << fp->target;
			}
		}
	}
	return need != 0 && got == need;
}

/* wording: only the subject and body patterns count. */
static int
identify (const TextbounceFormats *f, const HeaderBlock *headers, const char *text, gsize len,
          gboolean wording)
{
	if (f == NULL)
		return -1;
	const char *subject = headers_get (headers, "Subject");
	const char *from = wording ? NULL : headers_get (headers, "From");

	for (guint i = 0; i < f->order->len; i++) {
		int id = g_array_index (f->order, int, i);
		if (family_recognised (f, FAMILY (f, id), headers, subject, from, text, len, wording))
			return id;
	}
	return -1;
}

int
textbounce_identify (const TextbounceFormats *f, const HeaderBlock *headers,
                     const char *text, gsize len)
{
	return identify (f, headers, text, len, FALSE);
}

int
textbounce_identify_wording (const TextbounceFormats *f, const HeaderBlock *headers,
                             const char *text, gsize len)
{
	return identify (f, headers, text, len, TRUE);
}

int
textbounce_family_priority (const TextbounceFormats *formats, int family)
{
	return FAMILY (formats, family)->priority;
}

char *
textbounce_family_where (const TextbounceFormats *formats, int family)
{
	return rulefiles_where (FAMILY (formats, family)->file, FAMILY (formats, family)->line);
}

guint
textbounce_family_samples (const TextbounceFormats *formats, int family, const TextbounceSample *const **samples)
{
	const GPtrArray *kept = FAMILY (formats, family)->samples;
	*samples = kept ? (const TextbounceSample *const *) kept->pdata : NULL;
	return kept ? kept->len : 0;
}

/* ---- the failed recipient ---- */

/* Whether an address (local@domain.tld) surrounds the '@' at s[at]; its
 * bounds go to [*start, *end). The characters around it must end it: a
 * full stop after it is a sentence's, not the domain's. */
static gboolean
address_at (const char *s, gsize n, gsize at, gsize *start, gsize *end)
{
	static const char local_ok[] = "!#$%&'*+/=?^_`{|}~.-";
	gsize a = at, b = at + 1;
	while (a > 0 && s[a - 1] && (g_ascii_isalnum (s[a - 1]) || strchr (local_ok, s[a - 1])))
		a--;
	while (b < n && (g_ascii_isalnum (s[b]) || s[b] == '.' || s[b] == '-'))
		b++;
	while (b > at + 1 && s[b - 1] == '.')
		b--;
	gsize local = at - a, domain = b - at - 1;
	*start = a;
	*end = b;
	return local > 0 && local <= 64 && domain >= 3 && domain <= 253 && memchr (s + at + 1, '.', domain) &&
	       s[a] != '.' && s[at - 1] != '.' && s[at + 1] != '.' && s[at + 1] != '-';
}

/* The one address in s[0..n) (perhaps in <> or quotes), or NULL when
 * there is none, more than one, or something address-like that is not
 * one. */
static char *
one_address (const char *s, gsize n)
{
	char *found = NULL;
	for (gsize at = 0; at < n; at++) {
		gsize a, b;
		if (s[at] != '@')
			continue;
		if (!address_at (s, n, at, &a, &b) || found) {
			g_free (found);
			return NULL;
		}
		found = g_strndup (s + a, b - a);
		at = b;
	}
	return found;
}

/* Whether addr is one of the addresses in s (a header field's value). */
static gboolean
address_listed (const char *s, const char *addr)
{
	gsize n = strlen (s), want = strlen (addr);
	for (gsize at = 0; at < n; at++) {
		gsize a, b;
		if (s[at] == '@' && address_at (s, n, at, &a, &b) && b - a == want &&
		    g_ascii_strncasecmp (s + a, addr, want) == 0)
			return TRUE;
	}
	return FALSE;
}

static gboolean
same_address (const char *a, const char *b)
{
	return a && b && g_ascii_strcasecmp (a, b) == 0;
}

char *
textbounce_find_recipient (const TextbounceFormats *f, int family, const HeaderBlock *headers,
                           const char *text, gsize len, char **where)
{
	*where = NULL;
	if (f == NULL || family < 0)
		return NULL;
	const Family *fam = FAMILY (f, family);
	len = text ? MIN (len, NS_MAX_FORMAT_BODY_BYTES) : 0;
	g_autofree char *found = NULL;
	g_autofree char *found_where = NULL;

	for (guint i = fam->first; i != NONE; i = PATTERN (f, i)->next) {
		const FormatPattern *fp = PATTERN (f, i);
		if (fp->target != TARGET_RECIPIENT)
			continue;
		const char *subject = text;
		gsize n = len;
		if (fp->field) {
			subject = headers_get (headers, fp->field);
			n = subject ? strlen (subject) : 0;
		}
		gsize pos = 0, start, end;
		for (guint k = 0; k < NS_MAX_MARKER_MATCHES && subject && pos < n &&
		                  pattern_search (fp->re, subject, n, pos, &start, &end); k++) {
			pos = end > start ? end : start + 1;
			g_autofree char *addr = one_address (subject + start, end - start);
			/* Two candidates that disagree, or a match that is no single
			 * address: no recipient rather than a guess. */
			if (addr == NULL || (found && !same_address (found, addr)))
				return NULL;
			if (found == NULL) {
				found = g_steal_pointer (&addr);
				guint line = 1;
				for (gsize c = 0; !fp->field && c < start; c++)
					line += subject[c] == '\n';
				found_where = fp->field ? g_strdup_printf ("header %s, recipient pattern %s of family %s",
				                                           fp->field, pattern_spec (fp->re), fam->name)
				                        : g_strdup_printf ("text line %u, recipient pattern %s of family %s",
				                                           line, pattern_spec (fp->re), fam->name);
			}
		}
	}
	if (found == NULL)
		return NULL;
	/* The bounce's own addresses (our user it was sent to, the bouncer)
	 * are never the failed recipient. */
	static const char *const own[] = { "X-Original-To", "Delivered-To", "Envelope-To", "To", "From",
	                                   "Return-Path", NULL };
	for (guint i = 0; own[i]; i++)
		for (guint h = 0; headers && h < headers->fields->len; h++)
			if (g_ascii_strcasecmp (headers_field (headers, h)->name, own[i]) == 0 &&
			    address_listed (headers_value (headers, h), found))
				return NULL;
	*where = g_steal_pointer (&found_where);
	return g_steal_pointer (&found);
}

/* ---- the header block after a marker ---- */

/* Length of a header field name at p (up to its ':'), or 0; a "name"
 * past 80 characters is prose. */
static gsize
field_name_len (const char *p, gsize n)
{
	return headers_field_name_len (p, MIN (n, 81), FALSE);
}

/* The quote prefix of a line: leading '>' and '|' marks with the blanks
 * around them, and plain indentation. */
static gsize
prefix_len (const char *p, gsize n)
{
	gsize i = 0;
	while (i < n && (p[i] == '>' || p[i] == '|' || p[i] == ' ' || p[i] == '\t'))
		i++;
	return i;
}

static gboolean
known_field (const char *name, gsize n)
{
	static const char *const known[] = {
		"Received", "Message-ID", "From", "To", "Subject", "Date", "Return-Path",
		"Reply-To", "Cc", "MIME-Version", "Content-Type", "Sender", "DKIM-Signature",
		"X-Mailer", "In-Reply-To", "References", NULL
	};
	for (guint i = 0; known[i]; i++)
		if (strlen (known[i]) == n && g_ascii_strncasecmp (known[i], name, n) == 0)
			return TRUE;
	return FALSE;
}

typedef struct {
	const char *p;
	gsize n;
} Line;

static Line
line_at (const char *text, gsize len, gsize pos)
{
	const char *eol = memchr (text + pos, '\n', len - pos);
	return (Line) { text + pos, eol ? (gsize) (eol - text - pos) : len - pos };
}

/* Reads a header block starting at the line at pos (after skipping a few
 * blank or introductory lines). Returns the block or NULL. */
static GString *
read_block (const char *text, gsize len, gsize pos, gsize *block_start, gsize *prefix_out, gboolean *has_id)
{
	/* Up to 3 blank or lead-in lines ("Original message headers:") may
	 * stand between the marker and the block. */
	Line l = { NULL, 0 };
	gsize pre = 0;
	for (int skip = 0; skip < 4 && pos < len; skip++) {
		l = line_at (text, len, pos);
		pre = prefix_len (l.p, l.n);
		if (l.n > pre && field_name_len (l.p + pre, l.n - pre))
			break;
		/* An mbox "From " line may open the quoted message. */
		if (l.n > pre + 5 && memcmp (l.p + pre, "From ", 5) == 0) {
			pos += l.n + 1;
			continue;
		}
		pos += l.n + 1;
		l.p = NULL;
	}
	if (l.p == NULL || pos >= len)
		return NULL;

	/* The prefix of the first field line is the block's prefix; a prefix
	 * of blanks only makes deeper-indented lines continuations. */
	const char *prefix = l.p;
	gsize plen = pre;
	gboolean blank_prefix = strspn (prefix, " \t") >= plen;
	g_autoptr (GString) block = g_string_new (NULL);
	guint fields = 0, lines = 0;
	gboolean known = FALSE, message_id = FALSE;

	*block_start = pos;
	gsize prev_len = 0;
	while (pos < len && lines < NS_MAX_INLINE_HEADER_LINES) {
		l = line_at (text, len, pos);
		if (l.n < plen || memcmp (l.p, prefix, plen) != 0)
			break;
		const char *body = l.p + plen;
		gsize bn = l.n - plen;
		gsize name = field_name_len (body, bn);
		gboolean cont = bn > 0 && (body[0] == ' ' || body[0] == '\t') && fields > 0;
		/* Some bouncers re-wrap long header lines at a fixed width
		 * without the leading blank of a fold: a line that is not a
		 * field, after a line that long, continues it. */
		gboolean wrapped = !cont && name == 0 && bn > 0 && fields > 0 && prev_len >= 60 &&
		                   body[0] != ' ' && body[0] != '\t';
		if (blank_prefix && !cont && !wrapped && name == 0)
			break;
		prev_len = l.n;
		if (wrapped) {
			g_string_append_c (block, ' ');
		} else if (cont) {
			gsize k = 0;
			while (k < bn && (body[k] == ' ' || body[k] == '\t'))
				k++;
			if (k == bn)
				break; /* a quoted blank line ends the block */
		} else if (name) {
			fields++;
			known |= known_field (body, name);
			message_id |= name == 10 && g_ascii_strncasecmp (body, "Message-ID", 10) == 0;
		} else
			break;
		g_string_append_len (block, body, bn);
		g_string_append_c (block, '\n');
		lines++;
		pos += l.n + 1;
	}
	if (!(known && (fields >= 2 || message_id)))
		return NULL;
	*has_id = message_id;
	*prefix_out = plen;
	return g_steal_pointer (&block);
}

/* fp: the pattern that led to the block, NULL for the built-in scan. */
static TextbounceQuote *
quote_new (const char *text, GString *block, gsize block_start, gsize prefix_len,
           const TextbounceFormats *f, const FormatPattern *fp)
{
	TextbounceQuote *q = g_new0 (TextbounceQuote, 1);
	q->headers_len = block->len;
	q->headers = g_string_free (block, FALSE);
	q->start = block_start;
	q->prefix = g_strndup (text + block_start, prefix_len);
	q->line = 1;
	for (gsize k = 0; k < block_start; k++)
		q->line += text[k] == '\n';
	q->family = fp ? g_strdup (textbounce_family_name (f, fp->family)) : NULL;
	q->marker = fp ? g_strdup (pattern_spec (fp->re)) : NULL;
	return q;
}

/* The offset after the field and continuation lines that start at pos. */
static gsize
skip_fields (const char *text, gsize len, gsize pos)
{
	for (guint n = 0; pos < len && n < NS_MAX_INLINE_HEADER_LINES; n++) {
		Line l = line_at (text, len, pos);
		gsize pre = prefix_len (l.p, l.n);
		if (pre == l.n || (pre == 0 && field_name_len (l.p, l.n) == 0))
			break;
		pos += l.n + 1;
	}
	return pos;
}

typedef struct {
	gsize line_start;  /* offset of the marker's line */
	gsize after;       /* offset of the line after it */
	const FormatPattern *fp;
} Candidate;

static gint
by_position (gconstpointer a, gconstpointer b)
{
	const Candidate *x = a, *y = b;
	return x->line_start < y->line_start ? -1 : x->line_start > y->line_start;
}

/* Every match of fp in text, up to max, appended to cands. */
static void
collect (GArray *cands, const FormatPattern *fp, const char *text, gsize len, guint max)
{
	gsize pos = 0, start, end;
	for (guint n = 0; n < max && pos < len && pattern_search (fp->re, text, len, pos, &start, &end); n++) {
		gsize ls = start;
		while (ls > 0 && text[ls - 1] != '\n')
			ls--;
		const char *eol = memchr (text + start, '\n', len - start);
		gsize after = eol ? (gsize) (eol - text) + 1 : len;
		if (end > after) /* a marker spanning lines ends where it ends */
			after = end;
		g_array_append_val (cands, ((Candidate) { ls, after, fp }));
		pos = after > start ? after : start + 1;
		/* The lines of a header block all look like first-header
		 * lines: one candidate per block is enough. */
		if (fp->target == TARGET_FIRST_HEADER)
			pos = skip_fields (text, len, pos);
	}
}

/* A header block found without a separator (a first-header pattern, or
 * the built-in scan): only a guess until pick_unnamed weighs it against
 * the others. */
typedef struct {
	GString *block;
	gsize start, prefix_len;
	gboolean has_id;           /* it has a Message-ID field */
	char *id;                  /* that Message-ID, normalised (or NULL), once asked for */
	gboolean id_read;
	const FormatPattern *fp;   /* the pattern that found it, NULL for the scan */
} Unnamed;

/* Returns: (transfer none) the block's Message-ID, normalised, or NULL. */
static const char *
unnamed_id (Unnamed *u)
{
	if (!u->id_read) {
		g_autoptr (HeaderBlock) h = headers_parse_block (u->block->str, u->block->len);
		u->id = msgid_normalise (headers_get (h, "Message-ID"));
		u->id_read = TRUE;
	}
	return u->id;
}

static void
unnamed_free (gpointer data)
{
	Unnamed *u = data;
	if (u->block)
		g_string_free (u->block, TRUE);
	g_free (u->id);
	g_free (u);
}

static gint
unnamed_by_position (gconstpointer a, gconstpointer b)
{
	const Unnamed *x = *(const Unnamed *const *) a, *y = *(const Unnamed *const *) b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Reads the block at the line at pos into found, unless a block starting
 * there is in it already or NS_MAX_MARKER_MATCHES blocks are. */
static void
add_unnamed (GPtrArray *found, const char *text, gsize len, gsize pos, const FormatPattern *fp)
{
	if (found->len >= NS_MAX_MARKER_MATCHES)
		return;
	gsize start = 0, prefix_len = 0;
	gboolean has_id = FALSE;
	g_autoptr (GString) block = read_block (text, len, pos, &start, &prefix_len, &has_id);
	if (block == NULL)
		return;
	for (guint i = 0; i < found->len; i++)
		if (((Unnamed *) found->pdata[i])->start == start)
			return;
	Unnamed *u = g_new0 (Unnamed, 1);
	u->start = start;
	u->prefix_len = prefix_len;
	u->fp = fp;
	u->has_id = has_id;
	u->block = g_steal_pointer (&block);
	g_ptr_array_add (found, u);
}

/* The built-in scan, for a text already known to be a failure report:
 * every line that opens a header block with a field a quoted original
 * starts with (Received, Message-ID, From, Date, ...: known_field), with
 * a quote prefix or not. One candidate per block. */
static void
scan_blocks (GPtrArray *found, const char *text, gsize len)
{
	for (gsize pos = 0; pos < len && found->len < NS_MAX_MARKER_MATCHES; ) {
		Line l = line_at (text, len, pos);
		gsize pre = prefix_len (l.p, l.n);
		gsize name = l.n > pre ? field_name_len (l.p + pre, l.n - pre) : 0;
		if (name && known_field (l.p + pre, name)) {
			add_unnamed (found, text, len, pos, NULL);
			pos = skip_fields (text, len, pos);
			continue;
		}
		pos += l.n + 1;
	}
}

/* Where forwarded mail starts in text (a forwarding client's
 * introduction line), or len: the header blocks after it are the
 * forwarded message's, not a bounce's quote of its original. */
static gsize
forward_start (const char *text, gsize len)
{
	static Pattern *re; /* compiled once, kept for the life of the process */
	static gsize ready;
	if (g_once_init_enter (&ready)) {
		re = pattern_compile_full (
			"/^[>| \\t]*-*[ \\t]*(Begin forwarded message|-+ ?Forwarded message|Forwarded message:|"
			"Weitergeleitete Nachricht|Message transf\xc3\xa9r\xc3\xa9|Mensaje reenviado|Messaggio inoltrato|"
			"Doorgestuurd bericht|Mensagem encaminhada|Wiadomo\xc5\x9b\xc4\x87 przekazana|"
			"\xd0\x9f\xd0\xb5\xd1\x80\xd0\xb5\xd1\x81\xd1\x8b\xd0\xbb\xd0\xb0\xd0\xb5\xd0\xbc\xd0\xbe\xd0\xb5 "
			"\xd1\x81\xd0\xbe\xd0\xbe\xd0\xb1\xd1\x89\xd0\xb5\xd0\xbd\xd0\xb8\xd0\xb5|"
			"\xe8\xbb\xa2\xe9\x80\x81\xe3\x83\xa1\xe3\x83\x83\xe3\x82\xbb\xe3\x83\xbc\xe3\x82\xb8)/i",
			PATTERN_MULTILINE, NULL);
		g_once_init_leave (&ready, 1);
	}
	gsize start;
	return re && pattern_search (re, text, len, 0, &start, NULL) ? start : len;
}

/* Weighs the header blocks found without a separator: never one inside
 * forwarded mail (unless nothing else is found: then the first such,
 * flagged, which the caller takes only as a report to look into); when
 * two blocks quote different Message-IDs there is no telling which is the
 * original: none. Otherwise the first block with the Message-ID, else the
 * first block (a summary "Subject: / Date:" in the bounce's own text comes
 * before the quote, so a block with an id beats one without). */
static TextbounceQuote *
pick_unnamed (const TextbounceFormats *f, const char *text, gsize len, GPtrArray *found)
{
	if (found->len == 0)
		return NULL;
	g_ptr_array_sort (found, unnamed_by_position);
	/* Only the text up to the last block can hold the introduction. */
	const Unnamed *last = found->pdata[found->len - 1];
	gsize fwd = forward_start (text, MIN (len, last->start + 1));
	Unnamed *with_id = NULL, *first = NULL, *forwarded = NULL;
	for (guint i = 0; i < found->len; i++) {
		Unnamed *u = found->pdata[i];
		if (u->start >= fwd) {
			if (forwarded == NULL || (!forwarded->has_id && u->has_id))
				forwarded = u; /* the first, or the first with an id */
			continue;
		}
		if (first == NULL)
			first = u;
		if (u->has_id && with_id && g_strcmp0 (unnamed_id (u), unnamed_id (with_id)) != 0)
			return NULL; /* two originals disagree */
		if (u->has_id && with_id == NULL)
			with_id = u;
	}
	Unnamed *pick = with_id ? with_id : first ? first : forwarded;
	TextbounceQuote *q = quote_new (text, g_steal_pointer (&pick->block), pick->start, pick->prefix_len, f, pick->fp);
	q->forwarded = pick == forwarded;
	return q;
}

TextbounceQuote *
textbounce_find_quote (const TextbounceFormats *f, int family, const char *text, gsize len,
                       gboolean failure_known)
{
	if (text == NULL || len == 0 || (f == NULL && !failure_known))
		return NULL;
	len = MIN (len, NS_MAX_TEXT_BYTES);
	g_autoptr (GArray) cands = g_array_new (FALSE, FALSE, sizeof (Candidate));
	g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (unnamed_free);

	/* Separators, then first-header lines; within each, the recognised
	 * family's before the others'; text order within each pass. A
	 * separator names the quote: the first block after one is it. */
	for (int pass = 0; f && pass < 4; pass++) {
		Target want = pass < 2 ? TARGET_SEPARATOR : TARGET_FIRST_HEADER;
		gboolean want_ours = pass % 2 == 0;
		g_array_set_size (cands, 0);
		for (guint i = 0; i < f->patterns->len; i++) {
			const FormatPattern *fp = PATTERN (f, i);
			if (fp->target == want && ((int) fp->family == family) == want_ours)
				collect (cands, fp, text, len, NS_MAX_MARKER_MATCHES);
		}
		g_array_sort (cands, by_position);

		for (guint i = 0; i < cands->len; i++) {
			const Candidate *c = &g_array_index (cands, Candidate, i);
			if (want == TARGET_FIRST_HEADER) {
				add_unnamed (found, text, len, c->line_start, c->fp);
				continue;
			}
			gsize block_start = 0, prefix_len = 0;
			gboolean has_id = FALSE;
			g_autoptr (GString) block = read_block (text, len, c->after, &block_start, &prefix_len, &has_id);
			if (block)
				return quote_new (text, g_steal_pointer (&block), block_start, prefix_len, f, c->fp);
		}
	}
	if (failure_known)
		scan_blocks (found, text, len);
	return pick_unnamed (f, text, len, found);
}

TextbounceQuote *
textbounce_find_original (const TextbounceFormats *f, int family, const char *text, gsize len)
{
	return textbounce_find_quote (f, family, text, len, FALSE);
}
