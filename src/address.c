/* address — normalisation. See include/ndrsift/address.h.
 *
 * SRS0=HHH=TT=domain=local@forwarder   -> local@domain
 * SRS1=HHH=forwarder==HHH=TT=domain=local@forwarder2 -> local@domain
 * prvs=KDDDSSSSSS=local@domain          -> local@domain (BATV)
 * Only the first wrapper is undone: a hostile address cannot make us loop. */
#include <gmime/gmime.h>
#include <string.h>

#include "ndrsift/address.h"
#include "ndrsift/headers.h"

/* Undoes SRS in local@forwarder; returns the new local part and sets
 * *domain, or NULL when it is not SRS. */
static char *
unsrs (const char *local, char **domain)
{
	const char *p;
	if (g_ascii_strncasecmp (local, "SRS0=", 5) == 0 || g_ascii_strncasecmp (local, "SRS0+", 5) == 0 ||
	    g_ascii_strncasecmp (local, "SRS0-", 5) == 0)
		p = local + 5;
	else if (g_ascii_strncasecmp (local, "SRS1=", 5) == 0 || g_ascii_strncasecmp (local, "SRS1+", 5) == 0) {
		const char *dd = strstr (local, "==");
		if (dd == NULL)
			return NULL;
		p = dd + 2;
	} else
		return NULL;
	/* p: HHH=TT=domain=local */
	g_auto (GStrv) parts = g_strsplit (p, "=", 4);
	if (g_strv_length (parts) != 4 || !parts[2][0] || !parts[3][0])
		return NULL;
	*domain = g_strdup (parts[2]);
	return g_strdup (parts[3]);
}

char *
address_normalise (const char *address, const char *delimiters)
{
	if (address == NULL)
		return NULL;
	g_autofree char *a = g_strstrip (g_strdup (address));
	gsize n = strlen (a);
	if (n >= 2 && a[0] == '<' && a[n - 1] == '>') {
		memmove (a, a + 1, n - 2);
		a[n - 2] = '\0';
		g_strstrip (a);
	}
	if (a[0] == '\0')
		return g_strdup ("");

	char *at = strrchr (a, '@');
	g_autofree char *local = at ? g_strndup (a, at - a) : g_strdup (a);
	g_autofree char *domain = at ? g_strdup (at + 1) : NULL;

	g_autofree char *srs_domain = NULL;
	g_autofree char *srs_local = unsrs (local, &srs_domain);
	if (srs_local) {
		g_free (local);
		local = g_steal_pointer (&srs_local);
		g_free (domain);
		domain = g_steal_pointer (&srs_domain);
	} else if (g_ascii_strncasecmp (local, "prvs=", 5) == 0) {
		const char *eq = strchr (local + 5, '=');
		if (eq && eq[1]) {
			char *rest = g_strdup (eq + 1);
			g_free (local);
			local = rest;
		}
	}
	if (delimiters && *delimiters) {
		gsize cut = strcspn (local, delimiters);
		if (cut > 0) /* "+foo@x" keeps its name: there is nothing before the delimiter */
			local[cut] = '\0';
	}
	if (domain == NULL)
		return g_steal_pointer (&local);
	g_autofree char *lower = g_ascii_strdown (domain, -1);
	return g_strconcat (local, "@", lower, NULL);
}

/* The address of a value that is only "a@b", "<a@b>" or "Name <a@b>",
 * with no character RFC 5322 gives a meaning to (quotes, comments, groups,
 * lists, encoded words, domain literals) and no IDN label, which GMime
 * would decode: for these GMime's answer is known, and asking it costs
 * two GObjects. NULL: ask GMime. */
static char *
simple_address (const char *value)
{
	const char *open = NULL, *close = NULL;
	for (const char *p = value; *p; p++) {
		unsigned char c = *p;
		if (c < 0x20 || c >= 0x7f || strchr ("\"(),:;[]\\", c) || (c == '=' && p[1] == '?'))
			return NULL;
		if (c == '<') {
			if (open)
				return NULL;
			open = p;
		} else if (c == '>') {
			if (close || !open)
				return NULL;
			close = p;
		}
	}
	const char *a = value, *e = value + strlen (value);
	if (open) {
		if (close == NULL)
			return NULL;
		for (const char *p = close + 1; *p; p++)
			if (*p != ' ' && *p != '\t')
				return NULL;
		a = open + 1;
		e = close;
	} else {
		while (*a == ' ' || *a == '\t')
			a++;
		while (e > a && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
	}
	const char *at = NULL;
	for (const char *p = a; p < e; p++) {
		if (*p == ' ' || *p == '\t' || (*p == '.' && p + 1 < e && p[1] == '.'))
			return NULL;
		if (*p == '@') {
			if (at)
				return NULL;
			at = p;
		}
	}
	if (at == NULL || at == a || at + 1 == e || *a == '.' || at[-1] == '.' || at[1] == '.' || e[-1] == '.')
		return NULL;
	for (const char *p = at; p + 4 <= e; p++)
		if (g_ascii_strncasecmp (p, "xn--", 4) == 0)
			return NULL;
	return g_strndup (a, e - a);
}

char *
address_first (const char *value)
{
	if (value == NULL)
		return NULL;
	char *simple = simple_address (value);
	if (simple)
		return simple;
	g_autoptr (InternetAddressList) list = internet_address_list_parse (NULL, value);
	for (int i = 0; list && i < internet_address_list_length (list); i++) {
		InternetAddress *a = internet_address_list_get_address (list, i);
		if (INTERNET_ADDRESS_IS_MAILBOX (a))
			return g_strdup (internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (a)));
	}
	return NULL;
}
