/* verdict — evidence, rules, class. See include/ndrsift/verdict.h. */
#include <arpa/inet.h>
#include <string.h>

#include "address.h"
#include "msgid.h"
#include "number.h"
#include "pattern.h"
#include "ndrsift/received.h"
#include "textbounce.h"
#include "ndrsift/verdict.h"

struct _VerdictContext {
	const Config *config;
	TextbounceFormats *formats;
	Rules *rules;
	gboolean facts;         /* rule facts wanted (explain) */
	VerdictUnset unset;
	VerdictSentLogFunc sentlog;
	gpointer sentlog_data;
};

/* What each built-in needs of [local]; without it, it is not judged. */
static const EvalBuiltin domain_builtins[] = {
	EVAL_MSGID_DOMAIN_LOCAL, EVAL_MSGID_DOMAIN_FOREIGN, EVAL_AUTH_FAIL_LOCAL,
	EVAL_DKIM_LOCAL_PRESENT, EVAL_DKIM_LOCAL_ABSENT,
};
static const EvalBuiltin host_builtins[] = { EVAL_HANDOFF_LOCAL, EVAL_HANDOFF_FOREIGN };

/* "SETTING; not judged: RULES" for the loaded rules that need what is not
 * set; nothing when no rule does. */
static void
say_not_judged (const Rules *rules, const char *why, const EvalBuiltin *builtins, guint n, GPtrArray *out)
{
	gboolean which[EVAL_COUNT] = { FALSE };
	for (guint i = 0; i < n; i++)
		which[builtins[i]] = TRUE;
	g_autofree char *names = rules_using_builtins (rules, which);
	if (names)
		g_ptr_array_add (out, g_strdup_printf ("%s (ndrsift.conf(5)); not judged: %s", why, names));
}

void
verdict_unset_notices (const Rules *rules, const VerdictUnset *unset, GPtrArray *out)
{
	if (unset->domains)
		say_not_judged (rules, unset->domains, domain_builtins, G_N_ELEMENTS (domain_builtins), out);
	if (unset->hosts)
		say_not_judged (rules, unset->hosts, host_builtins, G_N_ELEMENTS (host_builtins), out);
}

VerdictContext *
verdict_context_new (VerdictSetup *setup)
{
	VerdictContext *ctx = g_new0 (VerdictContext, 1);
	ctx->config = setup->config;
	ctx->formats = g_steal_pointer (&setup->formats);
	ctx->rules = g_steal_pointer (&setup->rules);
	ctx->facts = setup->facts;
	ctx->unset = setup->unset;
	ctx->sentlog = setup->sentlog;
	ctx->sentlog_data = setup->sentlog_data;
	return ctx;
}

void
verdict_context_free (VerdictContext *ctx)
{
	if (ctx == NULL)
		return;
	textbounce_formats_free (ctx->formats);
	rules_free (ctx->rules);
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

/* ---- facts the evals need ---- */

static gboolean
in_list (char **list, const char *name)
{
	for (guint i = 0; name && list && list[i]; i++)
		if (g_ascii_strcasecmp (list[i], name) == 0)
			return TRUE;
	return FALSE;
}

/* domain is one of ours, or a subdomain of one. */
static gboolean
local_domain (const Config *c, const char *domain)
{
	if (domain == NULL)
		return FALSE;
	for (guint i = 0; c->local_domains && c->local_domains[i]; i++) {
		const char *d = c->local_domains[i];
		gsize n = strlen (domain), m = strlen (d);
		if (m == 0)
			continue;
		if (g_ascii_strcasecmp (domain, d) == 0 ||
		    (n > m && domain[n - m - 1] == '.' && g_ascii_strcasecmp (domain + n - m, d) == 0))
			return TRUE;
	}
	return FALSE;
}

/* The domain of an address or Message-ID ("a@b" or "<a@b>"), lower-cased. */
static char *
domain_of (const char *addr)
{
	const char *at = addr ? strrchr (addr, '@') : NULL;
	if (at == NULL)
		return NULL;
	g_autofree char *d = g_strdup (at + 1);
	char *close = strpbrk (d, "> \t;");
	if (close)
		*close = '\0';
	return d[0] ? g_ascii_strdown (d, -1) : NULL;
}

static gboolean
loopback_address (const char *ip)
{
	guint8 b[16];
	if (ip && inet_pton (AF_INET, ip, b) == 1)
		return b[0] == 127;
	static const guint8 loopback[16] = { [15] = 1 };
	return ip && inet_pton (AF_INET6, ip, b) == 1 && memcmp (b, loopback, 16) == 0;
}

static gboolean
private_address (const char *ip)
{
	guint8 b[16];
	if (ip == NULL)
		return TRUE;
	if (inet_pton (AF_INET, ip, b) == 1)
		return b[0] == 10 || b[0] == 127 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		       (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254) || b[0] == 0;
	if (inet_pton (AF_INET6, ip, b) == 1) {
		static const guint8 loopback[16] = { [15] = 1 };
		return memcmp (b, loopback, 16) == 0 || (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
	}
	return FALSE;
}

/* The registered site of a host name: its last two labels ("mx.a.example"
 * -> "a.example"), or three under a country's registry-style second level
 * ("mx.b.co.uk" -> "b.co.uk"): "co.uk" is no organisation, and two hosts
 * under it are not one bouncer. A heuristic, not the Public Suffix List:
 * when unsure it keeps more labels, which only makes fewer hops look
 * internal. */
static const char *
site_of (const char *host)
{
	static const char *const second_levels[] = {
		"co", "com", "net", "org", "ac", "gov", "edu", "ne", "or", "go", "ad", "gr", "lg", "ed",
		"mil", "nom", "sch", "ltd", "plc", "me", "info", "biz", NULL
	};
	if (host == NULL)
		return NULL;
	const char *end = host + strlen (host);
	const char *dots[3] = { NULL, NULL, NULL }; /* the last three dots, nearest first */
	guint n = 0;
	for (const char *p = end - 1; p > host && n < 3; p--)
		if (*p == '.')
			dots[n++] = p;
	if (n < 2)
		return host;
	gsize tld = end - dots[0] - 1, second = dots[0] - dots[1] - 1;
	if (tld == 2) {
		for (guint i = 0; second_levels[i]; i++)
			if (strlen (second_levels[i]) == second &&
			    g_ascii_strncasecmp (dots[1] + 1, second_levels[i], second) == 0)
				return n >= 3 ? dots[2] + 1 : host;
	}
	return dots[1] + 1;
}

static gboolean
same_site (const char *a, const char *b)
{
	const char *x = site_of (a), *y = site_of (b);
	return x && y && g_ascii_strcasecmp (x, y) == 0;
}

static gboolean
hop_is_ours (const Config *c, const ReceivedHop *hop)
{
	return config_is_local_address (c, hop->from_ip) || in_list (c->local_relays, hop->from_rdns) ||
	       (hop->authenticated && in_list (c->local_relays, hop->by));
}

/* The index of the hand-off hop (verdict.h), or -1. */
static int
find_handoff (const Config *c, const BounceOriginal *o)
{
	int loopback = -1; /* the first loopback hop, when nothing else is found */
	for (guint i = 0; o && i < o->received->len; i++) {
		const ReceivedHop *hop = g_ptr_array_index (o->received, i);
		if (hop->from_ip == NULL && hop->from_rdns == NULL && hop->from_helo == NULL)
			continue; /* local processing: "(qmail 1 invoked by uid 2)" */
		/* A content filter re-injecting on loopback: the message came
		 * in further down, even when 127.0.0.0/8 is in [local]
		 * networks (Postfix's mynetworks has it). */
		if (loopback_address (hop->from_ip)) {
			if (loopback < 0)
				loopback = (int) i;
			continue;
		}
		if (hop_is_ours (c, hop))
			return (int) i;
		if (hop->from_ip ? private_address (hop->from_ip) : hop->from_rdns == NULL)
			continue; /* inside the bouncer's network */
		if (hop->from_rdns && hop->by && same_site (hop->from_rdns, hop->by))
			continue; /* handed down inside one organisation */
		return (int) i;
	}
	/* Nothing but loopback: submitted on the server itself. Ours only
	 * when loopback is in [local] networks. */
	if (loopback >= 0 && hop_is_ours (c, g_ptr_array_index (o->received, loopback)))
		return loopback;
	return -1;
}

/* SPF, DKIM or DMARC failure the bouncer recorded for one of our domains. */
static char *
auth_failure (const Config *c, const BounceOriginal *o)
{
	for (guint i = 0; i < o->authentication_results->len; i++) {
		g_autofree char *lower = g_ascii_strdown (g_ptr_array_index (o->authentication_results, i), -1);
		g_auto (GStrv) specs = g_strsplit (lower, ";", 64);
		for (guint k = 0; specs[k]; k++) {
			const char *s = g_strstrip (specs[k]);
			gboolean fail = g_str_has_prefix (s, "spf=fail") || g_str_has_prefix (s, "spf=softfail") ||
			                g_str_has_prefix (s, "dkim=fail") || g_str_has_prefix (s, "dmarc=fail");
			if (!fail)
				continue;
			static const char *const props[] = { "smtp.mailfrom=", "header.d=", "header.from=", "header.i=", NULL };
			for (guint p = 0; props[p]; p++) {
				const char *v = strstr (s, props[p]);
				if (v == NULL)
					continue;
				v += strlen (props[p]);
				g_autofree char *value = g_strndup (v, strcspn (v, " \t()"));
				const char *at = strrchr (value, '@');
				if (local_domain (c, at ? at + 1 : value))
					return g_strdup_printf ("Authentication-Results: %.200s", s);
			}
		}
	}
	for (guint i = 0; i < o->received_spf->len; i++) {
		const char *v = g_ptr_array_index (o->received_spf, i);
		g_autofree char *lower = g_ascii_strdown (v, -1);
		if (!g_str_has_prefix (lower, "fail") && !g_str_has_prefix (lower, "softfail"))
			continue;
		/* "fail (domain of alice@example.com does not designate ...)"
		 * or "envelope-from=alice@example.com". */
		for (const char *p = strchr (lower, '@'); p; p = strchr (p + 1, '@')) {
			g_autofree char *d = g_strndup (p + 1, strcspn (p + 1, " \t;)>\""));
			if (local_domain (c, d))
				return g_strdup_printf ("Received-SPF: %.200s", v);
		}
	}
	return NULL;
}

/* BATV (verdict.h): the prvs= tag of the bounce's envelope recipient.
 * Returns TRUE when it validates; *fact says what was seen. */
static gboolean
batv_valid (const Config *c, const char *recipient, gint64 now, char **fact)
{
	g_autofree char *addr = headers_first_address (recipient);
	if (addr == NULL || g_ascii_strncasecmp (addr, "prvs=", 5) != 0 || strlen (addr) < 17 || addr[15] != '=') {
		*fact = g_strdup_printf ("envelope recipient %s carries no prvs= tag", addr ? addr : "(none)");
		return FALSE;
	}
	const char *tag = addr + 5, *mailbox = addr + 16;
	int key = tag[0] - '0';
	const char *secret = key >= 0 && key <= 9 ? g_ptr_array_index (c->batv_keys, key) : NULL;
	if (secret == NULL || !g_ascii_isdigit (tag[1]) || !g_ascii_isdigit (tag[2]) || !g_ascii_isdigit (tag[3])) {
		*fact = g_strdup_printf ("prvs tag %.10s: no key %c or a bad day", tag, tag[0]);
		return FALSE;
	}
	int day = (tag[1] - '0') * 100 + (tag[2] - '0') * 10 + (tag[3] - '0');
	int today = (int) ((now / 86400) % 1000);
	if (((day - today) + 1000) % 1000 > c->batv_max_age_days) {
		*fact = g_strdup_printf ("prvs tag %.10s: expired (day %03d, today %03d)", tag, day, today);
		return FALSE;
	}
	g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) secret, strlen (secret));
	g_hmac_update (hmac, (const guchar *) tag, 4);
	g_hmac_update (hmac, (const guchar *) mailbox, strlen (mailbox));
	guint8 digest[20];
	gsize n = sizeof digest;
	g_hmac_get_digest (hmac, digest, &n);
	char want[7];
	g_snprintf (want, sizeof want, "%02x%02x%02x", digest[0], digest[1], digest[2]);
	gboolean ok = g_ascii_strncasecmp (tag + 4, want, 6) == 0;
	*fact = g_strdup_printf ("prvs tag %.10s for %s: %s", tag, mailbox, ok ? "valid" : "bad signature");
	return ok;
}

static void
fire (EvalResults *e, EvalBuiltin which, gboolean fired, char *fact)
{
	e->fired[which] = fired;
	g_free (e->fact[which]);
	e->fact[which] = fact;
}

/* The interval a miss is judged over (doc/design.md "Coverage"): our server
 * logged the original when it was submitted, which was at most
 * [sentlog] queue_lifetime before it left us at v->moment (by the
 * remote's clock, off by up to clock_skew), and before the bounce
 * reached us. The bounce's arrival is our clock only when our MTA wrote
 * it (its topmost Received line); its Date is the bouncer's.
 *
 * When the moment is not the hand-off (it is the bounce's own arrival),
 * or the remote's clock runs ahead of ours past the skew (its date lies
 * after the bounce's arrival), the original left us at some time before
 * the bounce arrived, perhaps a whole queue lifetime of the bouncer's
 * before: the interval reaches back that far too. Returns FALSE when
 * there is no moment. */
static gboolean
handoff_interval (const Config *c, const Bounce *b, const Verdict *v, gint64 *from, gint64 *to)
{
	if (v->moment == 0)
		return FALSE;
	gint64 end = v->moment + c->clock_skew;
	if (b->arrival_time)
		end = MIN (end, b->arrival_time + (v->arrival_ours ? 0 : c->clock_skew));
	gboolean ahead = v->moment > end + c->clock_skew;
	gint64 start = MIN (v->moment, end) - c->queue_lifetime - c->clock_skew;
	if (v->moment_is_arrival || ahead)
		start -= c->queue_lifetime;
	*from = start;
	*to = end;
	return TRUE;
}

/* Built-ins whose input is not configured: they do not fire, and explain
 * says why. */
static void
not_judged (EvalResults *e, const EvalBuiltin *which, guint n, const char *why)
{
	for (guint i = 0; i < n; i++) {
		fire (e, which[i], FALSE, g_strdup_printf ("not judged: %s", why));
		e->unjudged[which[i]] = why;
	}
}

/* Computes every built-in of rules.h for v->bounce. */
static void
gather_evidence (const VerdictContext *ctx, Verdict *v)
{
	const Config *c = ctx->config;
	const Bounce *b = v->bounce;
	const BounceOriginal *o = b->original;
	EvalResults *e = &v->evals;

	fire (e, EVAL_NO_ORIGINAL, o == NULL, g_strdup (o ? o->where : "nothing quoted"));

	/* The hand-off hop and the moment a miss is judged at. Without
	 * [local] networks or relays nothing is ours: the hop is still
	 * found (its date is the moment), but not judged. */
	v->handoff = find_handoff (c, o);
	if (ctx->unset.hosts)
		not_judged (e, host_builtins, G_N_ELEMENTS (host_builtins), ctx->unset.hosts);
	if (v->handoff >= 0) {
		const ReceivedHop *hop = g_ptr_array_index (o->received, v->handoff);
		gboolean ours = hop_is_ours (c, hop);
		g_autofree char *desc = g_strdup_printf ("Received hop %d: from %s [%s] by %s", v->handoff + 1,
		                                         hop->from_rdns ? hop->from_rdns : hop->from_helo ? hop->from_helo : "?",
		                                         hop->from_ip ? hop->from_ip : "?", hop->by ? hop->by : "?");
		if (!ctx->unset.hosts) {
			fire (e, EVAL_HANDOFF_LOCAL, ours, g_strdup (desc));
			fire (e, EVAL_HANDOFF_FOREIGN, !ours, g_strdup (desc));
		}
		if (hop->time) {
			v->moment = hop->time;
			v->moment_where = g_strdup_printf ("the date of Received hop %d", v->handoff + 1);
		}
	} else if (!ctx->unset.hosts) {
		fire (e, EVAL_HANDOFF_LOCAL, FALSE, g_strdup ("no hand-off hop found"));
		fire (e, EVAL_HANDOFF_FOREIGN, FALSE, g_strdup ("no hand-off hop found"));
	}
	if (v->moment == 0 && b->report && b->report->arrival_date &&
	    (v->moment = received_parse_date (b->report->arrival_date)))
		v->moment_where = g_strdup ("the report's Arrival-Date");
	if (v->moment == 0 && b->arrival_time) {
		v->moment = b->arrival_time;
		v->moment_is_arrival = TRUE;
		v->moment_where = g_strdup_printf ("the bounce's arrival (%s)", b->arrival_where);
	}

	/* The Message-ID's domain. The id is read as written, as the MTA
	 * logged it (encoded words are no part of a Message-ID: decoding
	 * them would make a different id); the decoded value is what the
	 * facts show. A quoted value that is no Message-ID (msgid_normalise:
	 * garbage) counts as none quoted: a lookup of it could only miss, and
	 * a miss must never make a real bounce forged. The domain,
	 * authentication the bouncer recorded and our DKIM signature are not
	 * judged without [local] domains. */
	const char *msgid = o ? o->message_id : NULL;
	gsize raw_len = 0;
	const char *raw = o ? headers_get_raw (o->headers, "Message-ID", &raw_len) : NULL;
	g_autofree char *msgid_norm = raw && !memchr (raw, '\0', raw_len) ? msgid_normalise (raw) : NULL;
	if (msgid_norm == NULL)
		msgid = NULL;
	const char *msgid_dom = msgid_normal_domain (msgid_norm);
	if (ctx->unset.domains)
		not_judged (e, domain_builtins, G_N_ELEMENTS (domain_builtins), ctx->unset.domains);
	if (msgid_dom && !ctx->unset.domains) {
		gboolean ours = local_domain (c, msgid_dom);
		fire (e, EVAL_MSGID_DOMAIN_LOCAL, ours, g_strdup_printf ("Message-ID domain %s", msgid_dom));
		fire (e, EVAL_MSGID_DOMAIN_FOREIGN, !ours, g_strdup_printf ("Message-ID domain %s", msgid_dom));
	}

	if (o && !ctx->unset.domains) {
		char *failure = auth_failure (c, o);
		fire (e, EVAL_AUTH_FAIL_LOCAL, failure != NULL,
		      failure ? failure : g_strdup ("no SPF/DKIM/DMARC failure recorded for our domains"));
		const char *ours = NULL;
		for (guint i = 0; i < o->dkim_domains->len && !ours; i++)
			if (local_domain (c, g_ptr_array_index (o->dkim_domains, i)))
				ours = g_ptr_array_index (o->dkim_domains, i);
		g_autofree char *from = headers_first_address (o->from);
		g_autofree char *from_domain = domain_of (from);
		fire (e, EVAL_DKIM_LOCAL_PRESENT, ours != NULL,
		      g_strdup_printf ("DKIM-Signature d=%s", ours ? ours : "(none of ours)"));
		fire (e, EVAL_DKIM_LOCAL_ABSENT, ours == NULL && local_domain (c, from_domain),
		      g_strdup_printf ("From domain %s, no DKIM-Signature of ours", from_domain ? from_domain : "?"));
	}

	/* BATV, when keys are set. */
	if (c->batv_keys) {
		char *fact = NULL;
		gboolean ok = batv_valid (c, v->recipient, g_get_real_time () / G_USEC_PER_SEC, &fact);
		fire (e, EVAL_BATV_VALID, ok, g_strdup (fact));
		fire (e, EVAL_BATV_INVALID, !ok, fact);
	}

	/* The sent log. */
	SentLog *log = ctx->sentlog ? ctx->sentlog (ctx->sentlog_data) : NULL;
	fire (e, EVAL_SENTLOG_ABSENT, log == NULL, g_strdup (c->sentlog_path));
	if (log == NULL)
		return;
	v->sentlog_read = TRUE;
	g_autoptr (GError) error = NULL;
	if (msgid) {
		if (!sentlog_lookup_message_id (log, msgid_norm, &v->match, &error)) {
			/* A log that opens but cannot be read (corrupt pages): the
			 * caller says it once, like a missing one. */
			v->sentlog_error = g_strdup (error->message);
			fire (e, EVAL_SENTLOG_ABSENT, TRUE, g_strdup (error->message));
			v->sentlog_read = FALSE;
			return;
		}
		if (v->match.found) {
			gboolean ours = v->match.origin == LOG_ORIGIN_LOCAL || v->match.origin == LOG_ORIGIN_AUTH ||
			                v->match.origin == LOG_ORIGIN_NETWORK;
			g_autofree char *desc = g_strdup_printf ("%s first logged by %s, queue %s, origin %s", msgid,
			                                         v->match.server, v->match.queue_id ? v->match.queue_id : "-",
			                                         sentlog_origin_name (v->match.origin));
			fire (e, ours ? EVAL_SENTLOG_MSGID_OURS : EVAL_SENTLOG_MSGID_FOREIGN, TRUE, g_strdup (desc));
			v->match_by = "message_id";
			return;
		}
		gboolean covered = FALSE;
		if (v->moment && handoff_interval (c, b, v, &v->coverage.from, &v->coverage.to) &&
		    !sentlog_coverage (log, v->coverage.from, v->coverage.to, (const char *const *) c->sentlog_servers,
		                       c->max_gap, &v->coverage, &error))
			sentlog_coverage_clear (&v->coverage);
		covered = v->coverage.covered;
		g_autofree char *desc = g_strdup_printf ("%s not in the log; %s %s covered", msgid,
		                                         v->moment_where ? v->moment_where : "no moment known",
		                                         covered ? "is" : "is not");
		fire (e, covered ? EVAL_SENTLOG_MSGID_MISSING : EVAL_SENTLOG_MSGID_UNCOVERED, TRUE, g_strdup (desc));
		return;
	}
	/* No Message-ID quoted: a message of ours from the bounce's recipient
	 * to a Final-Recipient, inside the window. */
	g_autofree char *rcpt = headers_first_address (v->recipient);
	g_autofree char *sender = address_normalise (rcpt, c->recipient_delimiter);
	/* The report's Final-Recipients, else the one the text names. */
	guint n = b->report ? b->report->recipients->len : b->failed_recipient != NULL;
	for (guint i = 0; sender && v->moment && i < n; i++) {
		const char *final = b->report ? ((ReportRecipient *) g_ptr_array_index (b->report->recipients, i))->final_recipient
		                              : b->failed_recipient;
		g_autofree char *to = address_normalise (final, c->recipient_delimiter);
		if (to == NULL)
			continue;
		gint64 window = (gint64) c->window_days * 86400;
		if (!sentlog_lookup_recipient (log, sender, to, v->moment - window, v->moment + 86400, &v->match, &error))
			break;
		if (v->match.found) {
			fire (e, EVAL_SENTLOG_RECIPIENT_OURS, TRUE,
			      g_strdup_printf ("%s to %s logged by %s at %" G_GINT64_FORMAT, sender, to, v->match.server,
			                       v->match.time));
			v->match_by = "recipient";
			return;
		}
	}
}

/* What the delivery path knows better than the message: a milter sees
 * the envelope but not the Received line its MTA will add. */
static void
apply_envelope (Verdict *v, const VerdictEnvelope *env)
{
	Bounce *b = v->bounce;
	if (env && env->arrival) {
		b->arrival_time = env->arrival;
		g_free (b->arrival_where);
		b->arrival_where = g_strdup ("our clock when the MTA received it");
		v->arrival_ours = TRUE;
	} else {
		v->arrival_ours = b->top_hop && b->arrival_time && b->top_hop->time == b->arrival_time;
	}
	v->recipient = g_strdup (env && env->recipient ? env->recipient : bounce_envelope_recipient (b));
}

Verdict *
verdict_judge (const VerdictContext *ctx, GBytes *message, gboolean truncated, const VerdictEnvelope *env)
{
	Verdict *v = g_new0 (Verdict, 1);
	v->tests = g_ptr_array_new_with_free_func (g_free);
	v->handoff = -1;
	guint hits = pattern_limit_hits_this_thread ();
	v->bounce = bounce_parse_bytes (ctx->formats, message, truncated);
	apply_envelope (v, env);
	gboolean no_rules = rules_count (ctx->rules) == 0;
	if (v->bounce->kind != BOUNCE_KIND_NONE && !no_rules) {
		gather_evidence (ctx, v);
		v->results = rules_evaluate (ctx->rules, v->bounce, &v->evals, ctx->facts);
	}
	/* A pattern stopped at a PCRE2 limit counts as no match (a regex
	 * bomb): say so, as for every other bound (limits.h). */
	hits = pattern_limit_hits_this_thread () - hits;
	if (hits > 0)
		g_ptr_array_add (v->bounce->notes,
		                 g_strdup_printf ("%u pattern matches stopped at the PCRE2 limits (NS_PCRE2_*): taken as no match", hits));
	/* Without rules nothing is judged, not even "none": every front end
	 * says so alike (verdict.h). */
	if (no_rules) {
		v->verdict = VERDICT_ERROR;
		v->error = g_strdup ("no-rules");
		g_ptr_array_add (v->bounce->notes, g_strdup ("no rules loaded: nothing is judged (error; reason=no-rules)"));
		return v;
	}
	if (v->bounce->kind == BOUNCE_KIND_NONE) {
		v->verdict = VERDICT_NONE;
		return v;
	}
	for (guint i = 0; i < v->results->len; i++) {
		RuleResult *r = &g_array_index (v->results, RuleResult, i);
		if (!r->fired || !r->listed)
			continue;
		v->score += r->score;
		g_ptr_array_add (v->tests, g_strdup (r->name));
	}
	/* Only sent-log evidence makes legit, whatever the score. */
	if (v->evals.fired[EVAL_SENTLOG_MSGID_OURS] || v->evals.fired[EVAL_SENTLOG_RECIPIENT_OURS])
		v->verdict = VERDICT_LEGIT;
	else if (v->score >= ctx->config->forged_at)
		v->verdict = VERDICT_FORGED;
	else
		v->verdict = VERDICT_UNKNOWN;
	return v;
}

/* Appends piece after sep (" " or ""), or after a fold ("\n\t") when the
 * line would pass 78 characters; *line is the current line's length. */
static void
place (GString *s, gsize *line, const char *sep, const char *piece)
{
	gsize n = strlen (piece);
	/* The separator survives the fold, so removing "\n\t" gives back
	 * the one-line form exactly. */
	if (s->len > 0 && *line + strlen (sep) + n > 78) {
		g_string_append (s, "\n\t");
		*line = 1;
	}
	g_string_append (s, sep);
	*line += strlen (sep);
	g_string_append (s, piece);
	*line += n;
}

char *
verdict_header_value (const Verdict *v, const char *header_name)
{
	/* Every piece is ours (verdict word, kind, rule names, a number):
	 * nothing from the message reaches the header. */
	g_autoptr (GString) s = g_string_new (NULL);
	gsize line = strlen (header_name) + 2;
	g_autofree char *word = g_strconcat (verdict_name (v->verdict), ";", NULL);
	place (s, &line, "", word);
	if (v->verdict == VERDICT_ERROR) {
		g_autofree char *reason = g_strdup_printf ("reason=%s", v->error ? v->error : "internal");
		place (s, &line, " ", reason);
		return g_string_free (g_steal_pointer (&s), FALSE);
	}
	g_autofree char *kind = g_strdup_printf ("kind=%s;", bounce_kind_name (v->bounce->kind));
	place (s, &line, " ", kind);
	g_autofree char *score = g_strdup_printf ("score=%s;", SCORE (v->score));
	place (s, &line, " ", score);

	/* Folds go before "tests=" or after a comma; each name keeps its
	 * comma on its own line, and a name is never split. */
	if (v->tests->len == 0) {
		place (s, &line, " ", "tests=none");
		return g_string_free (g_steal_pointer (&s), FALSE);
	}
	for (guint i = 0; i < v->tests->len; i++) {
		const char *comma = i + 1 < v->tests->len ? "," : "";
		g_autofree char *piece = g_strconcat (i == 0 ? "tests=" : "", (char *) g_ptr_array_index (v->tests, i),
		                                      comma, NULL);
		place (s, &line, i == 0 ? " " : "", piece);
	}
	return g_string_free (g_steal_pointer (&s), FALSE);
}

char *
verdict_tests_join (const Verdict *v, const char *none)
{
	if (v->tests->len == 0)
		return g_strdup (none);
	GString *s = g_string_sized_new (64);
	for (guint i = 0; i < v->tests->len; i++) {
		if (i)
			g_string_append_c (s, ',');
		g_string_append (s, g_ptr_array_index (v->tests, i));
	}
	return g_string_free (s, FALSE);
}

void
verdict_free (Verdict *v)
{
	if (v == NULL)
		return;
	g_ptr_array_unref (v->tests);
	bounce_free (v->bounce);
	rules_results_free (v->results);
	eval_results_clear (&v->evals);
	sentlog_match_clear (&v->match);
	sentlog_coverage_clear (&v->coverage);
	g_free (v->moment_where);
	g_free (v->recipient);
	g_free (v->error);
	g_free (v->sentlog_error);
	g_free (v);
}
