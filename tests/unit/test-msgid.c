/* Unit tests of the msgid module: the one normal form of a Message-ID that
 * the sent log's import, `log record` and the lookup of a quoted original
 * share (RFC 5322 msg-id, its obsolete forms, comments and folding white
 * space; the domain without case, the local part exact; garbage NULL). */
#include <string.h>

#include "msgid.h"

static void
check (const char *in, const char *want)
{
	g_autofree char *got = msgid_normalise (in);
	if (g_strcmp0 (got, want) != 0)
		g_test_fail_printf ("msgid_normalise (\"%s\"): want %s%s%s, got %s%s%s", in ? in : "(null)",
		                    want ? "\"" : "", want ? want : "NULL", want ? "\"" : "", got ? "\"" : "",
		                    got ? got : "NULL", got ? "\"" : "");
}

static void
test_plain (void)
{
	check ("<a1@example.com>", "a1@example.com");
	check ("a1@example.com", "a1@example.com"); /* logs drop the brackets */
	check ("  <a1@example.com>  ", "a1@example.com");
	check ("\t< a1@example.com >\r\n", "a1@example.com");
	check ("<000d01db3a6f$8e2c41b0$aa84c510$@example.com>", "000d01db3a6f$8e2c41b0$aa84c510$@example.com");
	check ("<CAF=x+Y/z_w-{}|~'#!%&*?^`@mail.example>", "CAF=x+Y/z_w-{}|~'#!%&*?^`@mail.example");
	/* already normal: a fixed point */
	check ("a@b.example", "a@b.example");
}

/* RFC 5322: domains compare without case, local parts exactly. */
static void
test_case (void)
{
	check ("<ABC.Def@Mail.EXAMPLE.Com>", "ABC.Def@mail.example.com");
	check ("<x@[IPv6:2001:DB8::1]>", "x@[ipv6:2001:db8::1]");
}

/* Comments and folding white space around and inside the id. */
static void
test_cfws (void)
{
	check ("<id@x.example> (added by relay.example)", "id@x.example");
	check ("(first) <id@x.example>", "id@x.example");
	check ("<id@x.example>\r\n (folded (nested) comment)", "id@x.example");
	check ("<id@x.example> (a \\) quoted pair)", "id@x.example");
	/* obs-id-left and obs-id-right: CFWS between the words */
	check ("< a . b @ x . example >", "a.b@x.example");
	check ("<a (c) @ (d) x.example>", "a@x.example");
	check ("<id@[192.0.2.1 ]>", "id@[192.0.2.1]");
}

/* A quoted local part means what it holds: unquoted when it needs no
 * quotes, kept quoted (with quoted pairs) when it does. */
static void
test_quoted (void)
{
	check ("<\"abc\"@x.example>", "abc@x.example");
	check ("<\"a\".b@x.example>", "a.b@x.example");
	check ("<\"x@Y\"@Example.COM>", "\"x@Y\"@example.com");
	check ("<\"a b\"@x.example>", "\"a b\"@x.example");
	check ("<\"a\\\"b\"@x.example>", "\"a\\\"b\"@x.example");
	check ("<\"a\\b\"@x.example>", "ab@x.example"); /* a quoted pair is its character */
}

/* What real ids do that RFC 5322 does not allow, but that names one id. */
static void
test_lenient (void)
{
	check ("<NoDomain>", "NoDomain");
	check ("20140913142357", "20140913142357"); /* as written, and as Postfix logs it */
	check (" 20140913142357 (c)", "20140913142357");
	check ("<a..b@x.example>", "a..b@x.example");
	check ("<.a.@x.example>", ".a.@x.example");
	check ("<a:b@x.example>", "a:b@x.example");
	check ("<caf\xc3\xa9@x.example>", "caf\xc3\xa9@x.example"); /* RFC 6532 */
}

/* Values that are not one Message-ID: NULL, never a guess. */
static void
test_garbage (void)
{
	check (NULL, NULL);
	check ("", NULL);
	check ("   ", NULL);
	check ("\t\n", NULL);
	check ("<>", NULL);
	check (" < > ", NULL);
	check ("(only a comment)", NULL);
	check ("<<a@b.example>>", NULL);
	check ("<a@B.example", NULL);
	check ("a@b.example>", NULL);
	check ("<a@b.example> <c@d.example>", NULL);
	check ("<a@b.example> trailing", NULL);
	check ("<a@b@c.example>", NULL);
	check ("<a b@x.example>", NULL);
	check ("<a@x.example (unclosed>", NULL);
	check ("<\"unclosed@x.example>", NULL);
	check ("<a@>", NULL);
	check ("<@x.example>", NULL);
	check ("<a@[192.0.2.1>", NULL);
	check ("<a@\"x\".example>", NULL);
	check ("a\\", NULL);
}

static void
test_domain (void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "<a@X.Example>", "x.example" },
		{ "<a@x.example> (c)", "x.example" },
		{ "<\"x@Y\"@Example.COM>", "example.com" },
		{ "<\"x@Y\">", NULL },
		{ "<NoDomain>", NULL },
		{ "garbage here", NULL },
		{ NULL, NULL },
	};
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree char *id = msgid_normalise (cases[i].in);
		const char *got = msgid_normal_domain (id);
		if (g_strcmp0 (got, cases[i].want) != 0)
			g_test_fail_printf ("msgid_normal_domain (\"%s\"): want %s, got %s", cases[i].in ? cases[i].in : "(null)",
			                    cases[i].want ? cases[i].want : "NULL", got ? got : "NULL");
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/msgid/normalise/plain", test_plain);
	g_test_add_func ("/msgid/normalise/domain-without-case", test_case);
	g_test_add_func ("/msgid/normalise/comments-and-folding", test_cfws);
	g_test_add_func ("/msgid/normalise/quoted-local-part", test_quoted);
	g_test_add_func ("/msgid/normalise/lenient-real-ids", test_lenient);
	g_test_add_func ("/msgid/normalise/garbage-is-null", test_garbage);
	g_test_add_func ("/msgid/domain", test_domain);
	return g_test_run ();
}
