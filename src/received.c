/* received — parse one Received header value into a hop.
 * See include/ndrsift/received.h for the API.
 *
 * What it does. The value is cut to NS_MAX_HEADER_VALUE bytes, control
 * characters become spaces, and it is read left to right once into tokens:
 * words, comments "(...)" (nested, with \-escapes) and top-level ';'. The
 * date separator is the last ';' outside comments; when a comment is left
 * open (it swallowed the rest of the line), the last ';' inside that
 * comment instead. Everything before the separator is a sequence of
 * clauses "from X", "by X", "via X", "with X...", "id X", "for X" (keywords
 * case-insensitive, the first of each kind counts) with comments in
 * between; everything after it is the date.
 *
 * The "from" part (doc/design.md "Verdict policy", hinges on it):
 *  - The first word after "from" is the HELO name, unless a comment of the
 *    from clause carries an explicit HELO (Exim "helo=x", qmail "HELO x"):
 *    then that word is the reverse-DNS name, or the client address when
 *    it is an address literal ("from [IP] (helo=x)").
 *  - In a from comment, a name directly followed by an address ("(rdns
 *    [IP])", "(user@rdns [IP])") or alone in a closed comment ("(rdns)")
 *    is the rDNS name; "unknown" means there is none. The first HELO,
 *    rDNS name and address found win.
 *  - The address is the first valid one in the from comments ("[IP]",
 *    "[IPv6:...]", "[IP]:port", bare "IP" or "IPv4:port"), else a "[IP]"
 *    word of the clause, else the first word when it is an address. Only
 *    what inet_pton() accepts (as GLib's address parser) counts; IPv4-mapped IPv6
 *    (Courier's "::ffff:1.2.3.4") is given as the IPv4 address.
 *  - Trailing dots of names are dropped (Gmail writes "host.").
 *
 * `authenticated`: a protocol containing "MTP" and ending in "A" (RFC 3848
 * and 6531: ESMTPA, ESMTPSA, LMTPA, UTF8SMTPSA, Exim "esmtpa"), or a
 * comment before the first by/via/with/id/for starting "authenticated"
 * (Sendmail, Postfix "Authenticated sender:") or "AUTH:" (Courier).
 *
 * Hostile input. The client chooses its HELO name, and some MTAs write it
 * unchanged, so two rules keep it from steering the parse: the word after
 * "from" is read as a word up to a space or ';' whatever it holds (a HELO
 * of "(authenticated" must not open a comment), and authentication
 * comments only count before "by" (after it come the recipient and TLS
 * details, which the client chooses too; "for <...>" also reads a quoted
 * local part with spaces as one word). The work is linear in the (cut) length:
 * one tokenizing pass, then one pass over the tokens and over each from
 * comment; no recursion.
 *
 * Limits: input past NS_MAX_HEADER_VALUE bytes is ignored (a date there is
 * lost). A Courier id written after the date ("; DATE id X") is taken out
 * of the date. Multi-word protocols ("Microsoft SMTP Server") are kept
 * whole, words joined by one space; so is the date.
 *
 * Ownership: received_parse() returns a new hop that owns its strings;
 * every string is a fresh copy, non-empty, free of control characters, but
 * not checked for UTF-8 (the output layer makes strings valid). */
#include <arpa/inet.h>
#include <string.h>

#include <gmime/gmime.h>

#include "datetime.h"
#include "ndrsift/limits.h"
#include "ndrsift/received.h"

typedef enum {
	KW_NONE,
	KW_FROM,
	KW_BY,
	KW_VIA,
	KW_WITH,
	KW_ID,
	KW_FOR,
	KW_IGNORE, /* a clause seen before: its words are skipped */
	KW_COUNT
} Keyword;

typedef enum { TOK_WORD, TOK_COMMENT, TOK_SEMI } TokenKind;

typedef struct {
	TokenKind kind;
	Keyword kw;        /* TOK_WORD: the keyword it is (KW_NONE if none) */
	gboolean value;    /* TOK_WORD: directly after a keyword, so never one */
	gsize start, end;  /* [start, end) in the cleaned text */
	gssize last_semi;  /* TOK_COMMENT: offset of its last ';', or -1 */
	gboolean closed;   /* TOK_COMMENT: its ')' was found */
} Token;

/* What the from clause told, gathered before the rule that needs all of it
 * (is there an explicit HELO?) can be applied. */
typedef struct {
	const Token *first;      /* the word after "from", or NULL */
	gboolean helo_explicit;  /* a comment said helo=, HELO x */
	char *helo;              /* ... and this was the name */
	gboolean rdns_known;     /* the comment named the rDNS (maybe "unknown") */
	char *rdns;
	char *ip;
} FromInfo;

static gboolean
eq_ci (const char *p, gsize len, const char *word)
{
	gsize wl = strlen (word);
	return len == wl && g_ascii_strncasecmp (p, word, len) == 0;
}

static gboolean
prefix_ci (const char *p, gsize len, const char *prefix)
{
	gsize pl = strlen (prefix);
	return len >= pl && g_ascii_strncasecmp (p, prefix, pl) == 0;
}

static Keyword
keyword_of (const char *p, gsize len)
{
	if (eq_ci (p, len, "from"))
		return KW_FROM;
	if (eq_ci (p, len, "by"))
		return KW_BY;
	if (eq_ci (p, len, "via"))
		return KW_VIA;
	if (eq_ci (p, len, "with"))
		return KW_WITH;
	if (eq_ci (p, len, "id"))
		return KW_ID;
	if (eq_ci (p, len, "for"))
		return KW_FOR;
	return KW_NONE;
}

/* A copy of a host name without trailing dots; NULL when nothing is left. */
static char *
name_dup (const char *p, gsize len)
{
	while (len > 0 && p[len - 1] == '.')
		len--;
	return len > 0 ? g_strndup (p, len) : NULL;
}

static gboolean
hostname_like (const char *p, gsize len)
{
	if (len == 0)
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if (!g_ascii_isalnum (p[i]) && p[i] != '.' && p[i] != '-' && p[i] != '_')
			return FALSE;
	return TRUE;
}

/* The address in a word: "[1.2.3.4]", "[IPv6:2001:db8::1]", "[1.2.3.4]:25",
 * and, when bare is set, "1.2.3.4", "1.2.3.4:25", "2001:db8::1". Returns a
 * new string, or NULL when the word holds no valid address. */
static char *
parse_address (const char *p, gsize len, gboolean bare)
{
	const char *a;
	gsize alen;

	if (len > 0 && p[0] == '[') {
		const char *close = memchr (p, ']', len);
		if (close == NULL)
			return NULL;
		a = p + 1;
		alen = close - a;
		if (prefix_ci (a, alen, "IPv6:")) {
			a += 5;
			alen -= 5;
		}
	} else if (bare) {
		a = p;
		alen = len;
		/* One ':' is IPv4 with a port; IPv6 has at least two. */
		const char *colon = memchr (a, ':', alen);
		if (colon && memchr (colon + 1, ':', alen - (colon + 1 - a)) == NULL)
			alen = colon - a;
	} else
		return NULL;

	/* Longer than any textual address: not worth a copy. */
	if (alen == 0 || alen > 64)
		return NULL;
	/* inet_pton is what GLib's address parser uses on Unix, without an
	 * object per address: this is on the per-hop path. */
	g_autofree char *text = g_strndup (a, alen);
	guint8 b[16];
	if (inet_pton (AF_INET, text, b) == 1)
		return g_steal_pointer (&text);
	if (inet_pton (AF_INET6, text, b) != 1)
		return NULL;

	/* Courier writes IPv4 clients as ::ffff:a.b.c.d; the client is the
	 * IPv4 host, and `networks` lists it as such. */
	static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp (b, mapped, sizeof mapped) == 0)
		return g_strdup_printf ("%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
	return g_steal_pointer (&text);
}

/* End of the word at i: up to a space, ';' or parenthesis (IIS writes
 * "SMTPSVC(6.0.3790.4675)"). The HELO word after "from" only ends at a
 * space or ';': the client chose it. */
static gsize
scan_word (const char *s, gsize n, gsize i, gboolean helo)
{
	while (i < n && s[i] != ' ' && s[i] != ';' && (helo || (s[i] != '(' && s[i] != ')')))
		i++;
	return i;
}

/* "for <addr>": the local part may be a quoted string with spaces in it.
 * Stops at the '>', at a space outside quotes, or at ';' (so an unclosed
 * quote cannot hide the date separator). */
static gsize
scan_angle (const char *s, gsize n, gsize i)
{
	gboolean quoted = FALSE;
	for (i++; i < n; i++) {
		char c = s[i];
		if (c == ';')
			return i;
		if (quoted) {
			if (c == '\\' && i + 1 < n && s[i + 1] != ';')
				i++;
			else if (c == '"')
				quoted = FALSE;
		} else if (c == '"')
			quoted = TRUE;
		else if (c == ' ')
			return i;
		else if (c == '>')
			return i + 1;
	}
	return n;
}

/* A comment from its '(' to the matching ')', or to the end if unclosed. */
static void
scan_comment (const char *s, gsize n, Token *t)
{
	gsize i = t->start;
	int depth = 0;

	t->kind = TOK_COMMENT;
	t->last_semi = -1;
	while (i < n) {
		char c = s[i];
		if (c == '\\') {
			i += 2;
			continue;
		}
		if (c == '(')
			depth++;
		else if (c == ')' && --depth == 0) {
			t->closed = TRUE;
			i++;
			break;
		} else if (c == ';')
			t->last_semi = (gssize) i;
		i++;
	}
	t->end = MIN (i, n);
}

static GArray *
tokenize (const char *s, gsize n)
{
	/* Sized for a usual line at once: appends then never reallocate. */
	GArray *toks = g_array_sized_new (FALSE, TRUE, sizeof (Token), 64);
	Keyword pending = KW_NONE; /* the keyword whose value comes next */
	gsize i = 0;

	while (i < n) {
		char c = s[i];
		Token t = { .start = i, .last_semi = -1 };

		if (c == ' ') {
			i++;
			continue;
		}
		if (c == ';') {
			t.kind = TOK_SEMI;
			t.end = i + 1;
			g_array_append_val (toks, t);
			pending = KW_NONE;
			i++;
			continue;
		}
		/* After "from" comes the client's HELO name, which it chose: read
		 * it as a word whatever it starts with. */
		if (pending != KW_FROM) {
			if (c == '(') {
				scan_comment (s, n, &t);
				g_array_append_val (toks, t);
				pending = KW_NONE;
				i = t.end;
				continue;
			}
			if (c == ')') { /* left over from an unbalanced comment */
				i++;
				continue;
			}
		}
		t.kind = TOK_WORD;
		if (pending == KW_FOR && c == '<')
			t.end = scan_angle (s, n, i);
		else
			t.end = scan_word (s, n, i, pending == KW_FROM);
		if (pending != KW_NONE) {
			t.value = TRUE;
			pending = KW_NONE;
		} else {
			t.kw = keyword_of (s + i, t.end - i);
			pending = t.kw;
		}
		g_array_append_val (toks, t);
		i = t.end;
	}
	return toks;
}

/* "(authenticated bits=0)", "(authenticated as x)", "(Authenticated
 * sender: x)", "(AUTH: LOGIN x)". */
static gboolean
comment_is_auth (const char *s, const Token *t)
{
	const char *p = s + t->start + 1;
	gsize len = t->end - t->start - 1;

	while (len > 0 && *p == ' ') {
		p++;
		len--;
	}
	if (prefix_ci (p, len, "auth:"))
		return TRUE;
	if (!prefix_ci (p, len, "authenticated"))
		return FALSE;
	return len == 13 || !(g_ascii_isalnum (p[13]) || p[13] == '_');
}

/* A name the receiver recorded for the client: "rdns", "ident@rdns",
 * "unknown". Anything not shaped like a host name is not one. */
static void
from_set_rdns (FromInfo *fi, const char *p, gsize len)
{
	if (fi->rdns_known)
		return;
	/* Sendmail puts the RFC 1413 ident before the name: "user@rdns". */
	for (gsize i = len; i > 0; i--)
		if (p[i - 1] == '@') {
			p += i;
			len -= i;
			break;
		}
	if (eq_ci (p, len, "unknown")) {
		fi->rdns_known = TRUE;
		return;
	}
	while (len > 0 && p[len - 1] == '.')
		len--;
	if (!hostname_like (p, len))
		return;
	fi->rdns_known = TRUE;
	fi->rdns = g_strndup (p, len);
}

static void
from_set_helo (FromInfo *fi, const char *p, gsize len)
{
	fi->helo_explicit = TRUE;
	if (fi->helo == NULL)
		fi->helo = name_dup (p, len);
}

/* One word at the top level of a from comment; index counts them. */
static void
from_comment_word (FromInfo *fi, const char *p, gsize len, guint index,
                   const char **cand, gsize *cand_len, gboolean *await_helo)
{
	if (*await_helo) { /* qmail "(HELO name)" */
		*await_helo = FALSE;
		from_set_helo (fi, p, len);
		return;
	}
	if (eq_ci (p, len, "helo") || eq_ci (p, len, "ehlo")) {
		*await_helo = TRUE;
		return;
	}
	if (prefix_ci (p, len, "helo=") || prefix_ci (p, len, "ehlo=")) { /* Exim */
		from_set_helo (fi, p + 5, len - 5);
		return;
	}
	char *addr = parse_address (p, len, TRUE);
	if (addr) {
		/* "(rdns [IP])": the name right before the address. */
		if (index == 1 && *cand)
			from_set_rdns (fi, *cand, *cand_len);
		*cand = NULL;
		if (fi->ip == NULL)
			fi->ip = addr;
		else
			g_free (addr);
		return;
	}
	if (index == 0) {
		*cand = p;
		*cand_len = len;
	}
}

/* The top-level words of one comment of the from clause. Nested comments
 * ("(may be forged)" inside Sendmail's) are skipped. */
static void
from_comment (FromInfo *fi, const char *s, const Token *t)
{
	gsize end = t->closed ? t->end - 1 : t->end;
	gsize i = t->start + 1;
	int depth = 0;
	guint index = 0;
	const char *cand = NULL;
	gsize cand_len = 0;
	gboolean await_helo = FALSE;

	while (i < end) {
		char c = s[i];
		if (c == ' ') {
			i++;
			continue;
		}
		if (c == '(') {
			depth++;
			i++;
			continue;
		}
		if (c == ')') {
			if (depth > 0)
				depth--;
			i++;
			continue;
		}
		gsize j = i;
		while (j < end && s[j] != ' ' && s[j] != '(' && s[j] != ')')
			j += s[j] == '\\' ? 2 : 1;
		j = MIN (j, end);
		if (depth == 0)
			from_comment_word (fi, s + i, j - i, index++, &cand, &cand_len, &await_helo);
		i = j;
	}
	/* "(rdns)": a name alone is the receiver's record of the client. An
	 * unclosed comment is no such record. */
	if (index == 1 && cand && t->closed)
		from_set_rdns (fi, cand, cand_len);
}

/* Applies the HELO rule (see the top of the file) once the whole from
 * clause is known. */
static void
from_finish (ReceivedHop *hop, FromInfo *fi, const char *s)
{
	const char *first = fi->first ? s + fi->first->start : NULL;
	gsize first_len = fi->first ? fi->first->end - fi->first->start : 0;
	char *first_addr = first ? parse_address (first, first_len, TRUE) : NULL;

	if (fi->helo_explicit) {
		hop->from_helo = g_steal_pointer (&fi->helo);
		if (first && first_addr == NULL) {
			/* qmail "from rdns (HELO x)", Exim "from rdns ([IP] helo=x)" */
			if (!eq_ci (first, first_len, "unknown"))
				hop->from_rdns = name_dup (first, first_len);
		} else {
			/* Exim "from [IP] (helo=x)": the receiver wrote that address,
			 * so it outranks any in the comment. */
			hop->from_ip = g_steal_pointer (&first_addr);
			hop->from_rdns = g_steal_pointer (&fi->rdns);
		}
	} else {
		if (first)
			hop->from_helo = name_dup (first, first_len);
		hop->from_rdns = g_steal_pointer (&fi->rdns);
	}
	/* The comment's address first: without an explicit HELO the first word
	 * is the client's own claim. */
	if (hop->from_ip == NULL)
		hop->from_ip = fi->ip ? g_steal_pointer (&fi->ip) : g_steal_pointer (&first_addr);
	g_free (first_addr);
	g_free (fi->helo);
	g_free (fi->rdns);
	g_free (fi->ip);
}

static gboolean
with_is_auth (const char *p, gsize len)
{
	if (len == 0 || (p[len - 1] != 'a' && p[len - 1] != 'A'))
		return FALSE;
	for (gsize i = 0; i + 3 <= len; i++)
		if (g_ascii_strncasecmp (p + i, "mtp", 3) == 0)
			return TRUE;
	return FALSE;
}

/* The date part: its words joined by one space. Courier writes its queue
 * id after the date ("; DATE id X"); that goes to `id`. */
static void
parse_date_part (ReceivedHop *hop, const char *p, gsize len)
{
	/* The words joined by one space, in one pass; then "id X" is looked
	 * for as the last two of at least three words. */
	char *date = g_malloc (len + 1);
	gsize n = 0;
	guint words = 0;
	for (gsize i = 0; i < len; i++) {
		if (p[i] == ' ')
			continue;
		if (n > 0 && p[i - 1] == ' ')
			date[n++] = ' ';
		if (n == 0 || p[i - 1] == ' ')
			words++;
		date[n++] = p[i];
	}
	date[n] = '\0';
	if (words >= 3) {
		char *last = strrchr (date, ' ');
		char *before = last > date ? g_strrstr_len (date, last - date, " ") : NULL;
		if (before && eq_ci (before + 1, last - before - 1, "id")) {
			if (hop->id == NULL)
				hop->id = g_strdup (last + 1);
			*before = '\0';
		}
	}
	if (date[0] == '\0') {
		g_free (date);
		return;
	}
	hop->date = date;
	hop->time = received_parse_date (hop->date);
}

ReceivedHop *
received_parse (const char *value)
{
	ReceivedHop *hop = g_new0 (ReceivedHop, 1);
	/* strnlen first: g_strndup pads its copy to the full bound. */
	if (value == NULL)
		value = "";
	gsize n = strnlen (value, NS_MAX_HEADER_VALUE);
	g_autofree char *s = g_strndup (value, n);

	/* CR, LF, TAB count as space; other control characters too, so none
	 * reaches a field. */
	for (gsize i = 0; i < n; i++)
		if ((guchar) s[i] < 0x20 || s[i] == 0x7f)
			s[i] = ' ';

	g_autoptr (GArray) toks = tokenize (s, n);

	/* The date separator: the last top-level ';', else the last ';' of a
	 * comment left open at the end (it swallowed the separator). */
	gssize sep = -1;
	for (guint k = 0; k < toks->len; k++) {
		const Token *t = &g_array_index (toks, Token, k);
		if (t->kind == TOK_SEMI)
			sep = (gssize) t->start;
	}
	if (sep < 0 && toks->len > 0) {
		Token *last = &g_array_index (toks, Token, toks->len - 1);
		if (last->kind == TOK_COMMENT && !last->closed && last->last_semi >= 0) {
			sep = last->last_semi;
			last->end = (gsize) sep;
		}
	}
	gsize body_end = sep >= 0 ? (gsize) sep : n;

	Keyword cur = KW_NONE;
	gboolean seen[KW_COUNT] = { FALSE };
	FromInfo fi = { 0 };
	GString *with = NULL;
	gboolean with_run = FALSE; /* "with Microsoft SMTP Server": still in it */

	for (guint k = 0; k < toks->len; k++) {
		const Token *t = &g_array_index (toks, Token, k);
		const char *p = s + t->start;
		gsize len = t->end - t->start;

		if (t->start >= body_end)
			break;
		if (t->kind == TOK_SEMI) {
			with_run = FALSE;
			continue;
		}
		if (t->kind == TOK_COMMENT) {
			with_run = FALSE;
			if ((cur == KW_NONE || cur == KW_FROM) && comment_is_auth (s, t))
				hop->authenticated = TRUE;
			if (cur == KW_FROM)
				from_comment (&fi, s, t);
			continue;
		}
		if (t->kw != KW_NONE) {
			with_run = FALSE;
			cur = seen[t->kw] ? KW_IGNORE : t->kw;
			seen[t->kw] = TRUE;
			continue;
		}
		if (!t->value) {
			if (with_run) {
				g_string_append_c (with, ' ');
				g_string_append_len (with, p, len);
			} else if (cur == KW_FROM && p[0] == '[') {
				/* "from helo [IP] by ...": a bare address literal. */
				char *addr = parse_address (p, len, FALSE);
				if (addr && fi.ip == NULL)
					fi.ip = addr;
				else
					g_free (addr);
			}
			continue;
		}
		switch (cur) {
		case KW_FROM:
			fi.first = t;
			break;
		case KW_BY:
			hop->by = name_dup (p, len);
			break;
		case KW_WITH:
			with = g_string_new_len (p, len);
			with_run = TRUE;
			hop->authenticated |= with_is_auth (p, len);
			break;
		case KW_ID:
			hop->id = g_strndup (p, len);
			break;
		case KW_FOR:
			if (len > 0 && p[0] == '<') {
				p++;
				len--;
				if (len > 0 && p[len - 1] == '>')
					len--;
			}
			hop->for_addr = len > 0 ? g_strndup (p, len) : NULL;
			break;
		default:
			break;
		}
	}
	if (seen[KW_FROM])
		from_finish (hop, &fi, s);
	if (with)
		hop->with = g_string_free (with, FALSE);
	if (sep >= 0)
		parse_date_part (hop, s + sep + 1, n - (gsize) sep - 1);
	return hop;
}

void
received_hop_free (ReceivedHop *hop)
{
	if (hop == NULL)
		return;
	g_free (hop->from_helo);
	g_free (hop->from_rdns);
	g_free (hop->from_ip);
	g_free (hop->by);
	g_free (hop->with);
	g_free (hop->id);
	g_free (hop->for_addr);
	g_free (hop->date);
	g_free (hop);
}

static int
read_number (const char **p, int max_digits)
{
	int v = 0, n = 0;
	while (n < max_digits && g_ascii_isdigit (**p)) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n ? v : -1;
}

/* The usual RFC 5322 form, "[Day,] D Mon YYYY HH:MM[:SS] +ZZZZ|GMT|UT|Z",
 * optionally followed by a comment, read without allocating: it is on
 * the per-hop path. Anything else is left to GMime. */
static gboolean
fast_date (const char *text, gint64 *out)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	const char *p = text;

	while (*p == ' ')
		p++;
	if (g_ascii_isalpha (p[0])) { /* day name */
		while (g_ascii_isalpha (*p))
			p++;
		if (*p == ',')
			p++;
		while (*p == ' ')
			p++;
	}
	int day = read_number (&p, 2);
	if (day < 1 || day > 31 || *p != ' ')
		return FALSE;
	while (*p == ' ')
		p++;
	int month = 0;
	for (int i = 0; i < 12 && !month; i++)
		if (g_ascii_strncasecmp (p, months + i * 3, 3) == 0)
			month = i + 1;
	if (!month || p[3] != ' ')
		return FALSE;
	p += 3;
	while (*p == ' ')
		p++;
	const char *ys = p;
	int year = read_number (&p, 4);
	if (year < 0 || *p != ' ')
		return FALSE;
	if (p - ys == 2)
		year += year < 50 ? 2000 : 1900; /* RFC 5322 4.3 */
	else if (p - ys != 4)
		return FALSE;
	while (*p == ' ')
		p++;
	int hour = read_number (&p, 2);
	if (hour < 0 || hour > 23 || *p++ != ':')
		return FALSE;
	int min = read_number (&p, 2);
	if (min < 0 || min > 59)
		return FALSE;
	int sec = 0;
	if (*p == ':') {
		p++;
		if ((sec = read_number (&p, 2)) < 0 || sec > 60)
			return FALSE;
	}
	while (*p == ' ')
		p++;
	int offset;
	if ((*p == '+' || *p == '-') && g_ascii_isdigit (p[1])) {
		int sign = *p++ == '-' ? -1 : 1;
		const char *zs = p;
		int hhmm = read_number (&p, 4);
		if (p - zs != 4 || hhmm % 100 > 59)
			return FALSE;
		offset = sign * ((hhmm / 100) * 3600 + (hhmm % 100) * 60);
	} else if (g_ascii_strncasecmp (p, "GMT", 3) == 0 || g_ascii_strncasecmp (p, "UTC", 3) == 0) {
		offset = 0;
		p += 3;
	} else if (g_ascii_strncasecmp (p, "UT", 2) == 0 || *p == 'Z' || *p == 'z') {
		offset = 0;
		p += *p == 'Z' || *p == 'z' ? 1 : 2;
	} else
		return FALSE;
	/* What follows may only be a comment such as "(UTC)". */
	while (*p == ' ')
		p++;
	if (*p != '\0' && *p != '(')
		return FALSE;
	*out = datetime_from_civil (year, month, day, hour, min, sec) - offset;
	return TRUE;
}

gint64
received_parse_date (const char *text)
{
	if (text == NULL)
		return 0;
	gint64 t;
	if (fast_date (text, &t))
		return t;
	/* GMime reads the odder forms and trailing comments such as "(JST)". */
	g_autofree char *cut = g_strndup (text, strnlen (text, NS_MAX_HEADER_VALUE));
	g_autoptr (GDateTime) dt = g_mime_utils_header_decode_date (cut);
	return dt ? g_date_time_to_unix (dt) : 0;
}
