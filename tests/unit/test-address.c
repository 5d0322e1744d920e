/* Unit tests of the one address reader, headers_first_address(), against
 * GMime's own RFC 5322 parser (the plain forms it reads directly must give
 * GMime's answer), and of address_normalise() on the wrappers
 * doc/design.md names. */
#include <gmime/gmime.h>
#include <string.h>

#include "address.h"
#include "ndrsift/headers.h"

/* What GMime's parser alone says: the first mailbox, or NULL. */
static char *
gmime_first (const char *value)
{
	g_autoptr (InternetAddressList) list = internet_address_list_parse (NULL, value);
	for (int i = 0; list && i < internet_address_list_length (list); i++) {
		InternetAddress *a = internet_address_list_get_address (list, i);
		if (INTERNET_ADDRESS_IS_MAILBOX (a))
			return g_strdup (internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (a)));
	}
	return NULL;
}

static void
test_first (void)
{
	static const struct {
		const char *value, *want;
	} cases[] = {
		/* read directly */
		{ "alice@example.com", "alice@example.com" },
		{ "  <alice@example.com>  ", "alice@example.com" },
		{ "Alice Example <Alice.X@Example.COM>", "Alice.X@Example.COM" },
		{ "bounce+list=user@example.org", "bounce+list=user@example.org" },
		/* left to GMime */
		{ "\"Example, Alice\" <alice@example.com>", "alice@example.com" },
		{ "alice@example.com (Alice)", "alice@example.com" },
		{ "Bob <bob@example.net>, alice@example.com", "bob@example.net" },
		{ "undisclosed-recipients:;", NULL },
		{ "group: carol@example.com;", NULL }, /* a group is no mailbox */
		{ "=?UTF-8?Q?J=C3=B6rg?= <joerg@example.de>", "joerg@example.de" },
		{ "neko@xn--cesupi09d.jp", "neko@\xe5\x9c\xb0\xe5\x9f\x9f\xe7\x8c\xab.jp" },
		{ "<a@b> trailing", NULL },
		{ "no address here", NULL },
		{ "two@at@signs.example", NULL },
		{ "dot.@example.com", NULL },
		{ "", NULL },
	};
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree char *got = headers_first_address (cases[i].value);
		g_autofree char *gmime = gmime_first (cases[i].value);
		g_test_message ("%s", cases[i].value);
		g_assert_cmpstr (got, ==, gmime);
		if (cases[i].want)
			g_assert_cmpstr (got, ==, cases[i].want);
	}
	g_assert_null (headers_first_address (NULL));
}

static void
test_normalise (void)
{
	static const struct {
		const char *address, *delimiters, *want;
	} cases[] = {
		{ " <Alice@Example.COM> ", NULL, "Alice@example.com" },
		{ "<>", NULL, "" },
		{ "prvs=1234abcdef=alice@example.com", NULL, "alice@example.com" },
		{ "SRS0=HHH=TT=example.com=alice@forwarder.example", NULL, "alice@example.com" },
		{ "alice+tag@example.com", "+", "alice@example.com" },
		{ "+tag@example.com", "+", "+tag@example.com" },
		/* the plain addresses' own path (no wrapper) */
		{ "Bob", NULL, "Bob" },
		{ "bob+x", "+", "bob" },
		{ "a@b@C.D", NULL, "a@b@c.d" },
		{ " < Carol-list@Lists.Example > ", "+-", "Carol@lists.example" },
		{ "<@Example.COM>", "+", "@example.com" },
		{ " \t", NULL, "" },
		{ "SRx+y@Example.COM", "+", "SRx@example.com" },
		{ "<PRVS=1234abcdef=Dave+x@Example.COM>", "+", "Dave@example.com" },
	};
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree char *got = address_normalise (cases[i].address, cases[i].delimiters);
		g_assert_cmpstr (got, ==, cases[i].want);
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_mime_init ();
	g_test_add_func ("/address/first/same-as-gmime", test_first);
	g_test_add_func ("/address/normalise/wrappers", test_normalise);
	int rc = g_test_run ();
	g_mime_shutdown ();
	return rc;
}
