/* fuzz-received — the Received header parser (received_parse: HELO, rDNS,
 * IP literals, by/with/id/for, comments, the date after the last ';'),
 * the date parser on its own (received_parse_date), and the address
 * normalisation the verdict applies to the "for" address.
 *
 * The input is one header value (folded or not). Limits that apply:
 * NS_MAX_HEADER_VALUE (the parser reads no further). */
#include "fuzz-common.h"
#include "address.h"
#include "ndrsift/received.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
	return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	g_autofree char *value = fuzz_string (data, size);
	g_autoptr (ReceivedHop) hop = received_parse (value);
	/* received.h promises each field is NULL or non-empty and free of
	 * control characters (the output layer repairs UTF-8, not those). */
	const char *fields[] = { hop->from_helo, hop->from_rdns, hop->from_ip, hop->by,
	                         hop->with, hop->id, hop->for_addr, hop->date };
	for (guint i = 0; i < G_N_ELEMENTS (fields); i++) {
		if (fields[i] == NULL)
			continue;
		if (fields[i][0] == '\0')
			abort ();
		for (const char *p = fields[i]; *p; p++)
			if (g_ascii_iscntrl (*p))
				abort ();
	}
	if (hop->for_addr) {
		g_autofree char *normal = address_normalise (hop->for_addr, "+");
		(void) normal;
	}
	(void) received_parse_date (value);
	return 0;
}
