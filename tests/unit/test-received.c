/* Unit tests for src/received.c: one Received value per MTA shape, with
 * every field of the hop checked, then hostile input. */
#include <string.h>

#include <gmime/gmime.h>

#include "ndrsift/bounce.h"
#include "ndrsift/limits.h"
#include "ndrsift/received.h"

typedef struct {
	const char *helo, *rdns, *ip, *by, *with, *id, *for_addr, *date;
	gint64 time;
	gboolean auth;
} Expect;

static void
check_hop (const ReceivedHop *h, const Expect *e)
{
	g_assert_nonnull (h);
	g_assert_cmpstr (h->from_helo, ==, e->helo);
	g_assert_cmpstr (h->from_rdns, ==, e->rdns);
	g_assert_cmpstr (h->from_ip, ==, e->ip);
	g_assert_cmpstr (h->by, ==, e->by);
	g_assert_cmpstr (h->with, ==, e->with);
	g_assert_cmpstr (h->id, ==, e->id);
	g_assert_cmpstr (h->for_addr, ==, e->for_addr);
	g_assert_cmpstr (h->date, ==, e->date);
	g_assert_cmpint (h->time, ==, e->time);
	g_assert_cmpint (h->authenticated, ==, e->auth);
}

static void
check (const char *value, const Expect *e)
{
	g_autoptr (ReceivedHop) h = received_parse (value);
	check_hop (h, e);
}

/* ---- Postfix ---------------------------------------------------------- */

static void
test_postfix (void)
{
	check ("from client.helo.example (host-23.dsl.example.org [198.51.100.23])\r\n"
	       "\tby mx.example.net (Postfix) with ESMTP id 4VfK1w2Abcz9sT\r\n"
	       "\tfor <alice@example.net>; Tue, 14 May 2024 09:12:44 +0200 (CEST)",
	       &(Expect) { .helo = "client.helo.example", .rdns = "host-23.dsl.example.org",
	                   .ip = "198.51.100.23", .by = "mx.example.net", .with = "ESMTP",
	                   .id = "4VfK1w2Abcz9sT", .for_addr = "alice@example.net",
	                   .date = "Tue, 14 May 2024 09:12:44 +0200 (CEST)", .time = 1715670764 });
}

static void
test_postfix_unknown (void)
{
	check ("from laptop (unknown [203.0.113.77]) by smtp.example.com (Postfix) "
	       "with ESMTPSA id 9C1D2E3F4A for <bob@example.com>; Wed, 3 Jan 2024 18:30:00 -0500",
	       &(Expect) { .helo = "laptop", .rdns = NULL, .ip = "203.0.113.77",
	                   .by = "smtp.example.com", .with = "ESMTPSA", .id = "9C1D2E3F4A",
	                   .for_addr = "bob@example.com", .date = "Wed, 3 Jan 2024 18:30:00 -0500",
	                   .time = 1704324600, .auth = TRUE });
}

/* The client said HELO [literal]: that is its claim, the comment's address
 * is what the receiver saw. */
static void
test_postfix_helo_literal (void)
{
	check ("from [192.168.1.20] (unknown [198.51.100.5])\n"
	       " (Authenticated sender: carol@example.com)\n"
	       " by smtp.example.com (Postfix) with ESMTP id 4Q9x; Wed, 3 Jan 2024 18:30:00 -0500",
	       &(Expect) { .helo = "[192.168.1.20]", .ip = "198.51.100.5",
	                   .by = "smtp.example.com", .with = "ESMTP", .id = "4Q9x",
	                   .date = "Wed, 3 Jan 2024 18:30:00 -0500", .time = 1704324600,
	                   .auth = TRUE });
}

/* ---- Sendmail --------------------------------------------------------- */

static void
test_sendmail_forged_nested (void)
{
	/* Sendmail's own layout: ident@ before the name, "(may be forged)"
	 * inside the comment. */
	check ("from relay.example.org (ident@dyn-45.example.org [198.51.100.45] (may be forged))\n"
	       "\t(authenticated bits=0)\n"
	       "\tby mail.example.com (8.17.1/8.17.1) with ESMTP id 44EAbCdE012345\n"
	       "\tfor <dave@example.com>; Tue, 14 May 2024 10:11:12 +0100",
	       &(Expect) { .helo = "relay.example.org", .rdns = "dyn-45.example.org",
	                   .ip = "198.51.100.45", .by = "mail.example.com", .with = "ESMTP",
	                   .id = "44EAbCdE012345", .for_addr = "dave@example.com",
	                   .date = "Tue, 14 May 2024 10:11:12 +0100", .time = 1715677872,
	                   .auth = TRUE });
}

static void
test_sendmail_forged_separate (void)
{
	check ("from helo.example.org (dyn-46.example.org [198.51.100.46]) (may be forged) "
	       "by mail.example.com (8.17.1/8.17.1) with SMTP id 44EAbCdF; "
	       "Tue, 14 May 2024 10:11:12 +0100",
	       &(Expect) { .helo = "helo.example.org", .rdns = "dyn-46.example.org",
	                   .ip = "198.51.100.46", .by = "mail.example.com", .with = "SMTP",
	                   .id = "44EAbCdF", .date = "Tue, 14 May 2024 10:11:12 +0100",
	                   .time = 1715677872 });
}

/* A name alone in the comment is the receiver's record: the rDNS. */
static void
test_sendmail_name_only (void)
{
	check ("from mta.example.org (mta-out.example.org) by mail.example.com "
	       "(8.17.1/8.17.1) with ESMTP id 44EX; Tue, 14 May 2024 10:11:12 +0100",
	       &(Expect) { .helo = "mta.example.org", .rdns = "mta-out.example.org",
	                   .by = "mail.example.com", .with = "ESMTP", .id = "44EX",
	                   .date = "Tue, 14 May 2024 10:11:12 +0100", .time = 1715677872 });
}

/* Local submission: "(from user@host)" is a comment, not a from clause. */
static void
test_sendmail_local (void)
{
	check ("(from root@localhost) by host.example.com (8.17.1/8.17.1/Submit) id 44EAbC99; "
	       "Tue, 14 May 2024 10:11:12 +0100",
	       &(Expect) { .by = "host.example.com", .id = "44EAbC99",
	                   .date = "Tue, 14 May 2024 10:11:12 +0100", .time = 1715677872 });
}

/* ---- Exim ------------------------------------------------------------- */

static void
test_exim_rdns (void)
{
	check ("from mail-gw.example.org ([192.0.2.44] helo=gw.example.org)\n"
	       "\tby mx.example.net with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384\n"
	       "\t(Exim 4.96)\n\t(envelope-from <news@example.org>)\n"
	       "\tid 1rZx9k-000Abc-2F\n\tfor erin@example.net;\n"
	       "\tThu, 16 May 2024 08:00:00 +0000",
	       &(Expect) { .helo = "gw.example.org", .rdns = "mail-gw.example.org",
	                   .ip = "192.0.2.44", .by = "mx.example.net", .with = "esmtps",
	                   .id = "1rZx9k-000Abc-2F", .for_addr = "erin@example.net",
	                   .date = "Thu, 16 May 2024 08:00:00 +0000", .time = 1715846400 });
}

static void
test_exim_ip_helo (void)
{
	check ("from [198.51.100.9] (helo=desktop.local) by mx.example.net with esmtp "
	       "(Exim 4.96) (envelope-from <frank@example.net>) id 1s00aa-0001bb-Cc; "
	       "Thu, 16 May 2024 08:00:00 +0000",
	       &(Expect) { .helo = "desktop.local", .ip = "198.51.100.9", .by = "mx.example.net",
	                   .with = "esmtp", .id = "1s00aa-0001bb-Cc",
	                   .date = "Thu, 16 May 2024 08:00:00 +0000", .time = 1715846400 });
}

static void
test_exim_port_helo (void)
{
	check ("from [198.51.100.10] (port=49152 helo=[192.168.0.7]) by smtp.example.net "
	       "with esmtpa (Exim 4.96) (envelope-from <frank@example.net>) id 1s00ab-0001bc-Dd; "
	       "Thu, 16 May 2024 08:00:00 +0000",
	       &(Expect) { .helo = "[192.168.0.7]", .ip = "198.51.100.10", .by = "smtp.example.net",
	                   .with = "esmtpa", .id = "1s00ab-0001bc-Dd",
	                   .date = "Thu, 16 May 2024 08:00:00 +0000", .time = 1715846400,
	                   .auth = TRUE });
}

/* Exim with incoming_port logging: "[IP]:port" after a verified name. */
static void
test_bracket_port (void)
{
	check ("from smtp.example.org ([192.0.2.77]:40123 helo=out.example.org) "
	       "by mx.example.net with esmtp (Exim 4.96) id 1s00ac-0001bd-Ee; "
	       "Thu, 16 May 2024 08:00:00 +0000",
	       &(Expect) { .helo = "out.example.org", .rdns = "smtp.example.org",
	                   .ip = "192.0.2.77", .by = "mx.example.net", .with = "esmtp",
	                   .id = "1s00ac-0001bd-Ee", .date = "Thu, 16 May 2024 08:00:00 +0000",
	                   .time = 1715846400 });
	/* ... and a bare IPv4:port inside a comment. */
	check ("from a.example (198.51.100.3:2525) by b.example with SMTP",
	       &(Expect) { .helo = "a.example", .ip = "198.51.100.3", .by = "b.example",
	                   .with = "SMTP" });
}

/* ---- qmail ------------------------------------------------------------ */

static void
test_qmail_helo (void)
{
	check ("from unknown (HELO mail.example.org) (198.51.100.200)\n"
	       "  by mx.example.com with SMTP; 16 May 2024 12:34:56 -0000",
	       &(Expect) { .helo = "mail.example.org", .rdns = NULL, .ip = "198.51.100.200",
	                   .by = "mx.example.com", .with = "SMTP",
	                   .date = "16 May 2024 12:34:56 -0000", .time = 1715862896 });
	check ("from dsl-7.example.net (HELO pc7) (203.0.113.7)\n"
	       "  by mx.example.com with SMTP; 16 May 2024 12:34:56 -0000",
	       &(Expect) { .helo = "pc7", .rdns = "dsl-7.example.net", .ip = "203.0.113.7",
	                   .by = "mx.example.com", .with = "SMTP",
	                   .date = "16 May 2024 12:34:56 -0000", .time = 1715862896 });
}

static void
test_qmail_invoked (void)
{
	check ("(qmail 4242 invoked by uid 89); 16 May 2024 12:34:56 -0000",
	       &(Expect) { .date = "16 May 2024 12:34:56 -0000", .time = 1715862896 });
}

/* ---- Exchange --------------------------------------------------------- */

static void
test_exchange (void)
{
	check ("from AM6PR01MB1234.eurprd01.prod.example.com (10.0.0.1) by\r\n"
	       " AM6PR01MB5678.eurprd01.prod.example.com (10.0.0.2) with Microsoft SMTP Server\r\n"
	       " (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id\r\n"
	       " 15.20.7544.41; Fri, 17 May 2024 06:07:08 +0000",
	       &(Expect) { .helo = "AM6PR01MB1234.eurprd01.prod.example.com", .ip = "10.0.0.1",
	                   .by = "AM6PR01MB5678.eurprd01.prod.example.com",
	                   .with = "Microsoft SMTP Server", .id = "15.20.7544.41",
	                   .date = "Fri, 17 May 2024 06:07:08 +0000", .time = 1715926028 });
	/* IIS: the version comment follows the protocol without a space. */
	check ("from mail.example.org ([192.0.2.5]) by ex2003.corp.example.com with "
	       "Microsoft SMTPSVC(6.0.3790.4675); Fri, 17 May 2024 06:07:08 +0000",
	       &(Expect) { .helo = "mail.example.org", .ip = "192.0.2.5",
	                   .by = "ex2003.corp.example.com", .with = "Microsoft SMTPSVC",
	                   .date = "Fri, 17 May 2024 06:07:08 +0000", .time = 1715926028 });
}

static void
test_exchange_ipv6_via (void)
{
	check ("from DB9P190CA0012.EURP190.PROD.EXAMPLE.COM (2603:10a6:10:1b2::22) by\r\n"
	       " EX01.corp.example.com (2603:10a6:208:1::33) with Microsoft SMTP Server id\r\n"
	       " 15.1.2507.35 via Frontend Transport; Fri, 17 May 2024 06:07:08 +0000",
	       &(Expect) { .helo = "DB9P190CA0012.EURP190.PROD.EXAMPLE.COM",
	                   .ip = "2603:10a6:10:1b2::22", .by = "EX01.corp.example.com",
	                   .with = "Microsoft SMTP Server", .id = "15.1.2507.35",
	                   .date = "Fri, 17 May 2024 06:07:08 +0000", .time = 1715926028 });
}

/* ---- Gmail ------------------------------------------------------------ */

static void
test_gmail (void)
{
	check ("from mail-wr1-f41.google.com (mail-wr1-f41.google.com. [209.85.221.41])\r\n"
	       "        by mx.google.com with SMTPS id a640c23a62f3a-a5a1b2c3d4esi123.2024.05.17.01.02.03\r\n"
	       "        for <gina@example.com>\r\n"
	       "        (Google Transport Security);\r\n"
	       "        Fri, 17 May 2024 01:02:03 -0700 (PDT)",
	       &(Expect) { .helo = "mail-wr1-f41.google.com", .rdns = "mail-wr1-f41.google.com",
	                   .ip = "209.85.221.41", .by = "mx.google.com", .with = "SMTPS",
	                   .id = "a640c23a62f3a-a5a1b2c3d4esi123.2024.05.17.01.02.03",
	                   .for_addr = "gina@example.com",
	                   .date = "Fri, 17 May 2024 01:02:03 -0700 (PDT)", .time = 1715932923 });
}

/* Trailing dots go from every name, not only the comment's. */
static void
test_trailing_dots (void)
{
	check ("from client.example.org. (relay.example.org. [192.0.2.8]) by mx.example.net. "
	       "with ESMTPSA id x1 (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256); "
	       "Fri, 17 May 2024 01:02:03 -0700 (PDT)",
	       &(Expect) { .helo = "client.example.org", .rdns = "relay.example.org",
	                   .ip = "192.0.2.8", .by = "mx.example.net", .with = "ESMTPSA", .id = "x1",
	                   .date = "Fri, 17 May 2024 01:02:03 -0700 (PDT)", .time = 1715932923,
	                   .auth = TRUE });
}

/* ---- Courier ---------------------------------------------------------- */

static void
test_courier (void)
{
	check ("from relay.example.org ([198.51.100.61])\n"
	       "  (AUTH: LOGIN henry@example.org, TLS: TLSv1.2,256bits,ECDHE-RSA-AES256-GCM-SHA384)\n"
	       "  by mail.example.org with ESMTPA; Sat, 18 May 2024 11:22:33 +0200",
	       &(Expect) { .helo = "relay.example.org", .ip = "198.51.100.61",
	                   .by = "mail.example.org", .with = "ESMTPA",
	                   .date = "Sat, 18 May 2024 11:22:33 +0200", .time = 1716024153,
	                   .auth = TRUE });
}

/* Courier writes IPv4 clients as IPv4-mapped IPv6, and its id after the
 * date. */
static void
test_courier_mapped_id (void)
{
	check ("from client.example ([::ffff:198.51.100.62])\n"
	       "  by mail.example.org with ESMTP; Sat, 18 May 2024 11:22:33 +0200\n"
	       "  id 000000000013A1B2.00000000664872F9.00003C4D",
	       &(Expect) { .helo = "client.example", .ip = "198.51.100.62",
	                   .by = "mail.example.org", .with = "ESMTP",
	                   .id = "000000000013A1B2.00000000664872F9.00003C4D",
	                   .date = "Sat, 18 May 2024 11:22:33 +0200", .time = 1716024153 });
}

/* ---- Authentication markers, each alone ------------------------------- */

static void
test_auth_markers (void)
{
	static const char *const marked[] = {
		"from a.example (b.example [192.0.2.1]) (authenticated bits=256) by c.example with ESMTP",
		"from a.example (b.example [192.0.2.1]) (authenticated as user) by c.example with ESMTP",
		"from a.example (b.example [192.0.2.1]) (Authenticated sender: u@example.org) by c.example with ESMTP",
		"from a.example ([192.0.2.1]) (AUTH: PLAIN u) by c.example with ESMTP",
		"from a.example (b.example [192.0.2.1]) by c.example with LMTPA",
		"from a.example (b.example [192.0.2.1]) by c.example with UTF8SMTPSA",
		"from a.example (b.example [192.0.2.1]) by c.example with esmtpsa",
	};
	static const char *const plain[] = {
		"from a.example (b.example [192.0.2.1]) by c.example with ESMTP",
		"from a.example (b.example [192.0.2.1]) by c.example with ESMTPS",
		"from a.example (b.example [192.0.2.1]) by c.example with LMTP",
		"from a.example (b.example [192.0.2.1]) (not authenticated) by c.example with ESMTP",
		"from a.example (b.example [192.0.2.1]) (authenticatedx) by c.example with ESMTP",
		"from a.example (b.example [192.0.2.1]) (authenticated_x) by c.example with ESMTP",
		"from a.example (b.example [192.0.2.1]) by c.example with MAPIA",
	};
	for (gsize i = 0; i < G_N_ELEMENTS (marked); i++) {
		g_autoptr (ReceivedHop) h = received_parse (marked[i]);
		g_test_message ("%s", marked[i]);
		g_assert_true (h->authenticated);
		g_assert_cmpstr (h->by, ==, "c.example");
	}
	for (gsize i = 0; i < G_N_ELEMENTS (plain); i++) {
		g_autoptr (ReceivedHop) h = received_parse (plain[i]);
		g_test_message ("%s", plain[i]);
		g_assert_false (h->authenticated);
		g_assert_cmpstr (h->from_ip, ==, "192.0.2.1");
	}
}

/* ---- IPv6 ------------------------------------------------------------- */

static void
test_ipv6 (void)
{
	check ("from v6host.example.org (v6host.example.org [IPv6:2001:db8::25]) "
	       "by mx.example.net (Postfix) with ESMTPS id 4VgA; Sun, 19 May 2024 00:00:01 +0000",
	       &(Expect) { .helo = "v6host.example.org", .rdns = "v6host.example.org",
	                   .ip = "2001:db8::25", .by = "mx.example.net", .with = "ESMTPS",
	                   .id = "4VgA", .date = "Sun, 19 May 2024 00:00:01 +0000",
	                   .time = 1716076801 });
	check ("from v6.example.org ([2001:db8:0:1::7] helo=v6) by mx.example.net with esmtp "
	       "(Exim 4.96) id 1s01; Sun, 19 May 2024 00:00:01 +0000",
	       &(Expect) { .helo = "v6", .rdns = "v6.example.org", .ip = "2001:db8:0:1::7",
	                   .by = "mx.example.net", .with = "esmtp", .id = "1s01",
	                   .date = "Sun, 19 May 2024 00:00:01 +0000", .time = 1716076801 });
	check ("from [IPv6:2001:db8::26] (helo=x.example) by mx.example.net",
	       &(Expect) { .helo = "x.example", .ip = "2001:db8::26", .by = "mx.example.net" });
}

static void
test_localhost (void)
{
	check ("from localhost (localhost [127.0.0.1]) by mail.example.com (Postfix) with ESMTP "
	       "id 1A2B3C; Sun, 19 May 2024 00:00:01 +0000",
	       &(Expect) { .helo = "localhost", .rdns = "localhost", .ip = "127.0.0.1",
	                   .by = "mail.example.com", .with = "ESMTP", .id = "1A2B3C",
	                   .date = "Sun, 19 May 2024 00:00:01 +0000", .time = 1716076801 });
}

/* Some MTAs write the address as a word of the from clause. */
static void
test_bare_literal_word (void)
{
	check ("from mail.example.org [192.0.2.91] by mx.example.net with ESMTP (SMTPD-9.23) "
	       "id A12B3C4D; Sun, 19 May 2024 00:00:01 +0000",
	       &(Expect) { .helo = "mail.example.org", .ip = "192.0.2.91", .by = "mx.example.net",
	                   .with = "ESMTP", .id = "A12B3C4D",
	                   .date = "Sun, 19 May 2024 00:00:01 +0000", .time = 1716076801 });
}

static void
test_nested_comments (void)
{
	check ("from a.example (b.example [192.0.2.1] (note (deeply (nested)) [192.0.2.99] helo=z))"
	       " by c.example (x (y) z) with ESMTP id Q1; Mon, 20 May 2024 10:00:00 +0000",
	       &(Expect) { .helo = "a.example", .rdns = "b.example", .ip = "192.0.2.1",
	                   .by = "c.example", .with = "ESMTP", .id = "Q1",
	                   .date = "Mon, 20 May 2024 10:00:00 +0000", .time = 1716199200 });
}

static void
test_case_insensitive (void)
{
	check ("FROM a.example (B.Example [192.0.2.1]) BY c.example WITH ESMTPSA ID q7 "
	       "FOR <Ivan@Example.com>; Mon, 20 May 2024 10:00:00 +0000",
	       &(Expect) { .helo = "a.example", .rdns = "B.Example", .ip = "192.0.2.1",
	                   .by = "c.example", .with = "ESMTPSA", .id = "q7",
	                   .for_addr = "Ivan@Example.com",
	                   .date = "Mon, 20 May 2024 10:00:00 +0000", .time = 1716199200,
	                   .auth = TRUE });
	check ("from a.example (b.example [192.0.2.1] HeLo=h.example) by c.example",
	       &(Expect) { .helo = "h.example", .rdns = "a.example", .ip = "192.0.2.1",
	                   .by = "c.example" });
}

static void
test_missing_parts (void)
{
	check ("by mx.example.com with LMTP id ABC",
	       &(Expect) { .by = "mx.example.com", .with = "LMTP", .id = "ABC" });
	check ("from only.example", &(Expect) { .helo = "only.example" });
	check ("from by mx.example.com; Mon, 20 May 2024 10:00:00 +0000",
	       &(Expect) { .helo = "by", .date = "Mon, 20 May 2024 10:00:00 +0000",
	                   .time = 1716199200 });
	check ("from a.example (b.example [192.0.2.1]) by c.example; not a date",
	       &(Expect) { .helo = "a.example", .rdns = "b.example", .ip = "192.0.2.1",
	                   .by = "c.example", .date = "not a date", .time = 0 });
	check ("from a.example (b.example [192.0.2.1]) by c.example;   ",
	       &(Expect) { .helo = "a.example", .rdns = "b.example", .ip = "192.0.2.1",
	                   .by = "c.example" });
	check ("from a.example by c.example for <>; Mon, 20 May 2024 10:00:00 +0000",
	       &(Expect) { .helo = "a.example", .by = "c.example",
	                   .date = "Mon, 20 May 2024 10:00:00 +0000", .time = 1716199200 });
}

/* In the from clause the first HELO, rDNS name and address found win;
 * "unknown" counts as found. */
static void
test_first_wins (void)
{
	check ("from a.example (b.example [192.0.2.1]) (c.example [192.0.2.2]) by d.example",
	       &(Expect) { .helo = "a.example", .rdns = "b.example", .ip = "192.0.2.1",
	                   .by = "d.example" });
	check ("from a.example (unknown [192.0.2.1]) (c.example) by d.example",
	       &(Expect) { .helo = "a.example", .ip = "192.0.2.1", .by = "d.example" });
	check ("from r.example ([192.0.2.1] helo=one.example) (helo=two.example) by d.example",
	       &(Expect) { .helo = "one.example", .rdns = "r.example", .ip = "192.0.2.1",
	                   .by = "d.example" });
}

/* Only a host name right before the address is the rDNS name. */
static void
test_rdns_shape (void)
{
	check ("from a.example (may be forged [192.0.2.1]) by d.example",
	       &(Expect) { .helo = "a.example", .ip = "192.0.2.1", .by = "d.example" });
	check ("from a.example (bad/name [192.0.2.1]) by d.example",
	       &(Expect) { .helo = "a.example", .ip = "192.0.2.1", .by = "d.example" });
	check ("from a.example (joe@ [192.0.2.1]) by d.example",
	       &(Expect) { .helo = "a.example", .ip = "192.0.2.1", .by = "d.example" });
}

/* The first clause of each kind counts. */
static void
test_repeated_clauses (void)
{
	check ("from a.example (b.example [192.0.2.1]) from x.example (y.example [192.0.2.9]) "
	       "by c.example by z.example with ESMTP with ESMTPA id Q1 id Q9 "
	       "for <u@example.org> for <v@example.org>; Mon, 20 May 2024 10:00:00 +0000",
	       &(Expect) { .helo = "a.example", .rdns = "b.example", .ip = "192.0.2.1",
	                   .by = "c.example", .with = "ESMTP", .id = "Q1",
	                   .for_addr = "u@example.org",
	                   .date = "Mon, 20 May 2024 10:00:00 +0000", .time = 1716199200 });
}

/* Only real addresses become from_ip. */
static void
test_invalid_addresses (void)
{
	check ("from a.example (b.example [999.1.1.1]) by c.example",
	       &(Expect) { .helo = "a.example", .by = "c.example" });
	check ("from a.example (b.example [1.2.3]) by c.example",
	       &(Expect) { .helo = "a.example", .by = "c.example" });
	check ("from a.example (b.example [IPv6:gggg::1]) by c.example",
	       &(Expect) { .helo = "a.example", .by = "c.example" });
	check ("from a.example (b.example [192.0.2.1 by c.example",
	       &(Expect) { .helo = "a.example" });
}

/* ---- The client's own words must not steer the parse ------------------ */

static void
test_hostile_helo (void)
{
	/* Postfix writes the HELO unchanged: "(authenticated" must not open a
	 * comment that claims authentication or hides the address. */
	check ("from (authenticated (unknown [203.0.113.9]) by mx.example.net (Postfix) "
	       "with ESMTP id 4X; Mon, 20 May 2024 10:00:00 +0000",
	       &(Expect) { .helo = "(authenticated", .ip = "203.0.113.9", .by = "mx.example.net",
	                   .with = "ESMTP", .id = "4X",
	                   .date = "Mon, 20 May 2024 10:00:00 +0000", .time = 1716199200 });
	/* A HELO that looks like an address literal is the client's claim. */
	check ("from [10.0.0.1] (unknown [203.0.113.10]) by mx.example.net (Postfix) with ESMTP",
	       &(Expect) { .helo = "[10.0.0.1]", .ip = "203.0.113.10", .by = "mx.example.net",
	                   .with = "ESMTP" });
	/* A ';' in the HELO does not move the date. */
	check ("from x;Mon,_1_Jan (unknown [203.0.113.11]) by mx.example.net; "
	       "Mon, 20 May 2024 10:00:00 +0000",
	       &(Expect) { .helo = "x", .ip = "203.0.113.11", .by = "mx.example.net",
	                   .date = "Mon, 20 May 2024 10:00:00 +0000", .time = 1716199200 });
}

/* The recipient is the sender's choice too: a quoted local part with a
 * comment-like text in it neither authenticates nor breaks the address. */
static void
test_hostile_recipient (void)
{
	check ("from a.example (unknown [203.0.113.12]) by mx.example.net (Postfix) with ESMTP "
	       "id 4Y for <\"x (Authenticated sender: y)\"@example.net>; "
	       "Mon, 20 May 2024 10:00:00 +0000",
	       &(Expect) { .helo = "a.example", .ip = "203.0.113.12", .by = "mx.example.net",
	                   .with = "ESMTP", .id = "4Y",
	                   .for_addr = "\"x (Authenticated sender: y)\"@example.net",
	                   .date = "Mon, 20 May 2024 10:00:00 +0000", .time = 1716199200 });
	/* Unquoted, it is a comment after "by": still not authentication. */
	check ("from a.example (unknown [203.0.113.12]) by mx.example.net with ESMTP "
	       "for <x (Authenticated sender: y)@example.net>",
	       &(Expect) { .helo = "a.example", .ip = "203.0.113.12", .by = "mx.example.net",
	                   .with = "ESMTP", .for_addr = "x" });
	/* An unclosed quote stops at the date separator. */
	check ("from a.example (unknown [203.0.113.12]) by mx.example.net for <\"x y@example.net>; "
	       "Mon, 20 May 2024 10:00:00 +0000",
	       &(Expect) { .helo = "a.example", .ip = "203.0.113.12", .by = "mx.example.net",
	                   .for_addr = "\"x y@example.net",
	                   .date = "Mon, 20 May 2024 10:00:00 +0000", .time = 1716199200 });
}

/* ---- Hostile input ---------------------------------------------------- */

static void
test_empty (void)
{
	check ("", &(Expect) { 0 });
	check ("   \r\n\t ", &(Expect) { 0 });
	check (NULL, &(Expect) { 0 });
	check (";", &(Expect) { 0 });
}

static void
test_only_from (void)
{
	check ("from", &(Expect) { 0 });
	check ("from ", &(Expect) { 0 });
	check ("from (", &(Expect) { .helo = "(" });
	check ("from from from", &(Expect) { .helo = "from" });
}

/* 10 MB of "from (": cut at NS_MAX_HEADER_VALUE, then a HELO of "(from" and
 * one comment that never closes. */
static void
test_huge_from_paren (void)
{
	gsize reps = 10 * 1024 * 1024 / 6;
	GString *big = g_string_sized_new (reps * 6 + 1);
	for (gsize i = 0; i < reps; i++)
		g_string_append (big, "from (");
	g_autoptr (ReceivedHop) h = received_parse (big->str);
	g_string_free (big, TRUE);
	check_hop (h, &(Expect) { .helo = "(from" });
}

static void
test_unbalanced (void)
{
	/* An unclosed comment swallows the line; the date separator inside it
	 * still counts. */
	check ("from a.example (b.example [192.0.2.1] by c.example with ESMTP id Q; "
	       "Mon, 20 May 2024 10:00:00 +0000",
	       &(Expect) { .helo = "a.example", .rdns = "b.example", .ip = "192.0.2.1",
	                   .date = "Mon, 20 May 2024 10:00:00 +0000", .time = 1716199200 });
	/* Stray ')' are skipped. */
	check ("from a.example ) (b.example [192.0.2.1])) by c.example with ESMTP id Q)) ; "
	       "Mon, 20 May 2024 10:00:00 +0000",
	       &(Expect) { .helo = "a.example", .rdns = "b.example", .ip = "192.0.2.1",
	                   .by = "c.example", .with = "ESMTP", .id = "Q",
	                   .date = "Mon, 20 May 2024 10:00:00 +0000", .time = 1716199200 });
	/* An unclosed comment in the date does not matter. */
	check ("from a.example by c.example; Mon, 20 May 2024 10:00:00 +0000 (UTC",
	       &(Expect) { .helo = "a.example", .by = "c.example",
	                   .date = "Mon, 20 May 2024 10:00:00 +0000 (UTC", .time = 1716199200 });
	/* Escaped parentheses do not nest. */
	check ("from a.example (b.example [192.0.2.1] \\( x) by c.example",
	       &(Expect) { .helo = "a.example", .rdns = "b.example", .ip = "192.0.2.1",
	                   .by = "c.example" });
	check ("from a.example (x\\(y [192.0.2.1]) by c.example",
	       &(Expect) { .helo = "a.example", .ip = "192.0.2.1", .by = "c.example" });
	check ("((((((((((", &(Expect) { 0 });
	check ("))))))))))", &(Expect) { 0 });
	check ("from a (\\", &(Expect) { .helo = "a" });
}

static void
test_semicolon_in_comment (void)
{
	check ("from a.example (b.example [192.0.2.1]; odd) by c.example with ESMTP id Q2; "
	       "Mon, 20 May 2024 10:00:00 +0000",
	       &(Expect) { .helo = "a.example", .rdns = "b.example", .ip = "192.0.2.1",
	                   .by = "c.example", .with = "ESMTP", .id = "Q2",
	                   .date = "Mon, 20 May 2024 10:00:00 +0000", .time = 1716199200 });
	/* A closed comment's ';' is no date separator. */
	check ("from a.example (x; y) by c.example",
	       &(Expect) { .helo = "a.example", .by = "c.example" });
	/* Nor one in the date's own comment. */
	check ("by c.example; Mon, 20 May 2024 10:00:00 +0000 (a; b)",
	       &(Expect) { .by = "c.example", .date = "Mon, 20 May 2024 10:00:00 +0000 (a; b)",
	                   .time = 1716199200 });
}

static void
test_control_chars (void)
{
	check ("from\x01" "a.example\x02(b.example\x1b[192.0.2.1])\x7f" "by c.example\x0b"
	       "with ESMTP\x1fid Q3;\x0c" "Mon, 20 May\x08 2024 10:00:00 +0000\x03",
	       &(Expect) { .helo = "a.example", .rdns = "b.example", .ip = "192.0.2.1",
	                   .by = "c.example", .with = "ESMTP", .id = "Q3",
	                   .date = "Mon, 20 May 2024 10:00:00 +0000", .time = 1716199200 });
}

static void
assert_clean (const char *s)
{
	if (s == NULL)
		return;
	g_assert_cmpuint (strlen (s), <=, NS_MAX_HEADER_VALUE);
	g_assert_cmpuint (strlen (s), >, 0);
	for (const char *p = s; *p; p++)
		g_assert_false ((guchar) *p < 0x20 || *p == 0x7f);
}

/* Random NUL-free bytes, biased towards the characters the parser acts on.
 * The hop must come back, and hold no empty or control-laden field. */
static void
test_garbage (void)
{
	static const char alphabet[] = "()[]<>;:\\\" \t\r\n.@=from by with id for via helo HELO"
	                               "IPv6:1.2.3.4 ::1 unknown AUTH: authenticated \x01\x7f\xff\xc3";
	GRand *r = g_rand_new_with_seed (20240520);
	for (int round = 0; round < 2000; round++) {
		gsize len = g_rand_int_range (r, 0, round < 1990 ? 300 : NS_MAX_HEADER_VALUE * 2);
		char *buf = g_malloc (len + 1);
		for (gsize i = 0; i < len; i++) {
			if (g_rand_boolean (r))
				buf[i] = alphabet[g_rand_int_range (r, 0, sizeof alphabet - 1)];
			else
				buf[i] = (char) g_rand_int_range (r, 1, 256);
		}
		buf[len] = '\0';
		g_autoptr (ReceivedHop) h = received_parse (buf);
		g_assert_nonnull (h);
		assert_clean (h->from_helo);
		assert_clean (h->from_rdns);
		assert_clean (h->from_ip);
		assert_clean (h->by);
		assert_clean (h->with);
		assert_clean (h->id);
		assert_clean (h->for_addr);
		assert_clean (h->date);
		g_free (buf);
	}
	g_rand_free (r);
}

/* Past NS_MAX_HEADER_VALUE nothing is read: a date there is lost. */
static void
test_cut (void)
{
	GString *v = g_string_new ("from a.example (b.example [192.0.2.1]) by c.example ");
	while (v->len < NS_MAX_HEADER_VALUE)
		g_string_append (v, "(padding) ");
	g_string_append (v, "; Mon, 20 May 2024 10:00:00 +0000");
	g_autoptr (ReceivedHop) h = received_parse (v->str);
	g_string_free (v, TRUE);
	check_hop (h, &(Expect) { .helo = "a.example", .rdns = "b.example", .ip = "192.0.2.1",
	                          .by = "c.example" });
}

/* ---- received_parse_date ---------------------------------------------- */

static void
test_parse_date (void)
{
	g_assert_cmpint (received_parse_date ("Tue, 21 May 2024 09:30:00 +0900 (JST)"), ==, 1716251400);
	g_assert_cmpint (received_parse_date ("Thu, 7 Dec 2023 16:45:10 -0800 (PST)"), ==, 1701996310);
	g_assert_cmpint (received_parse_date ("Thu, 7 Dec 2023 16:45:10 PST"), ==, 1701996310);
	g_assert_cmpint (received_parse_date ("Mon, 20 May 2024 10:00:00 +0000"), ==, 1716199200);
	g_assert_cmpint (received_parse_date ("no date here"), ==, 0);
	g_assert_cmpint (received_parse_date (""), ==, 0);
	g_assert_cmpint (received_parse_date (NULL), ==, 0);
}

/* received_parse_date reads the common form itself: it must agree with
 * GMime's reading for every form GMime also reads. */
static void
test_date_agrees_with_gmime (void)
{
	static const char *const dates[] = {
		"Fri, 27 Nov 2026 10:00:01 +0000",
		"Fri, 27 Nov 2026 10:00:01 +0000 (UTC)",
		"27 Nov 2026 10:00:01 -0000",
		"Thu, 24 Apr 2013 00:00:00 +0900 (JST)",
		"Thu,  29 Apr 2010 23:34:45 +0900 (JST)",
		"Mon, 2 Nov 2026 09:15:31 -0730",
		"Sat, 06 Dec 2014 13:45:31 GMT",
		"Sat, 06 Dec 2014 13:45:31 UT",
		"Sat, 06 Dec 2014 13:45 +0100",
		"Sat, 06 Dec 14 13:45:00 +0100",
		"Tue, 29 Feb 2028 23:59:59 -1200",
		"1 Jan 1970 00:00:01 +0000",
		"31 Dec 2099 23:59:59 +1400",
		NULL
	};
	for (guint i = 0; dates[i]; i++) {
		g_autoptr (GDateTime) dt = g_mime_utils_header_decode_date (dates[i]);
		g_assert_nonnull (dt);
		g_assert_cmpint (received_parse_date (dates[i]), ==, g_date_time_to_unix (dt));
	}
	/* Forms the fast path leaves to GMime still parse. */
	g_assert_cmpint (received_parse_date ("Fri, 27 Nov 2026 10:00:01 PST"), ==, 1795802401);
	g_assert_cmpint (received_parse_date ("no date at all"), ==, 0);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	bounce_init ();

	g_test_add_func ("/received/postfix", test_postfix);
	g_test_add_func ("/received/postfix-unknown", test_postfix_unknown);
	g_test_add_func ("/received/postfix-helo-literal", test_postfix_helo_literal);
	g_test_add_func ("/received/sendmail-forged-nested", test_sendmail_forged_nested);
	g_test_add_func ("/received/sendmail-forged-separate", test_sendmail_forged_separate);
	g_test_add_func ("/received/sendmail-name-only", test_sendmail_name_only);
	g_test_add_func ("/received/sendmail-local", test_sendmail_local);
	g_test_add_func ("/received/exim-rdns", test_exim_rdns);
	g_test_add_func ("/received/exim-ip-helo", test_exim_ip_helo);
	g_test_add_func ("/received/exim-port-helo", test_exim_port_helo);
	g_test_add_func ("/received/bracket-port", test_bracket_port);
	g_test_add_func ("/received/qmail-helo", test_qmail_helo);
	g_test_add_func ("/received/qmail-invoked", test_qmail_invoked);
	g_test_add_func ("/received/exchange", test_exchange);
	g_test_add_func ("/received/exchange-ipv6-via", test_exchange_ipv6_via);
	g_test_add_func ("/received/gmail", test_gmail);
	g_test_add_func ("/received/trailing-dots", test_trailing_dots);
	g_test_add_func ("/received/courier", test_courier);
	g_test_add_func ("/received/courier-mapped-id", test_courier_mapped_id);
	g_test_add_func ("/received/auth-markers", test_auth_markers);
	g_test_add_func ("/received/ipv6", test_ipv6);
	g_test_add_func ("/received/localhost", test_localhost);
	g_test_add_func ("/received/bare-literal-word", test_bare_literal_word);
	g_test_add_func ("/received/nested-comments", test_nested_comments);
	g_test_add_func ("/received/case-insensitive", test_case_insensitive);
	g_test_add_func ("/received/missing-parts", test_missing_parts);
	g_test_add_func ("/received/first-wins", test_first_wins);
	g_test_add_func ("/received/rdns-shape", test_rdns_shape);
	g_test_add_func ("/received/repeated-clauses", test_repeated_clauses);
	g_test_add_func ("/received/invalid-addresses", test_invalid_addresses);
	g_test_add_func ("/received/hostile-helo", test_hostile_helo);
	g_test_add_func ("/received/hostile-recipient", test_hostile_recipient);
	g_test_add_func ("/received/empty", test_empty);
	g_test_add_func ("/received/only-from", test_only_from);
	g_test_add_func ("/received/huge-from-paren", test_huge_from_paren);
	g_test_add_func ("/received/unbalanced", test_unbalanced);
	g_test_add_func ("/received/semicolon-in-comment", test_semicolon_in_comment);
	g_test_add_func ("/received/control-chars", test_control_chars);
	g_test_add_func ("/received/garbage", test_garbage);
	g_test_add_func ("/received/cut", test_cut);
	g_test_add_func ("/received/parse-date", test_parse_date);
	g_test_add_func ("/received/parse-date-agrees-with-gmime", test_date_agrees_with_gmime);

	return g_test_run ();
}
