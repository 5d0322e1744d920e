/* Unit tests for src/logparse_exim.c: every line kind of an Exim mainlog,
 * with the exact events; the origin cases the sent log needs (an
 * authenticated submission, a local one, a relay for a client address, a
 * foreign message bounced by us: backscatter); time stamps; malformed
 * lines; --server; detection; the sample log. */
#include "log-events.h"

static LogParser *
parser (const char *server)
{
	return logparse_new (LOG_FORMAT_EXIM, server, NOW);
}

/* ---- arrivals ------------------------------------------------------------ */

static void
test_arrival_auth (void)
{
	g_autoptr (LogParser) p = parser ("mx1");
	check_line (p,
	            "2026-11-27 10:00:01 1tGxyz-000123-AB <= alice@example.com H=laptop.example.com "
	            "[192.0.2.55] P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no "
	            "A=dovecot_plain:alice S=1234 id=20261127100001.4Xb2@example.com T=\"Subject here\"",
	            "mx1", T0,
	            (const char *const[]) { "ENTER 1tGxyz-000123-AB auth 192.0.2.55",
	                                    "SENDER 1tGxyz-000123-AB <alice@example.com>",
	                                    "MSGID 1tGxyz-000123-AB 20261127100001.4Xb2@example.com",
	                                    NULL });
	/* From the road: a foreign address, but authenticated. */
	CHECK (p,
	       "2026-11-27 10:00:02 1tGxz0-000124-CD <= bob@example.com H=(bobs-phone) [203.0.113.80]:51812 "
	       "I=[192.0.2.10]:587 P=esmtpsa X=TLS1.3:TLS_AES_128_GCM_SHA256:128 CV=no "
	       "A=dovecot_login:bob@example.com S=2201 M8S=0 id=CAF3a1b2c3@mail.example.com",
	       "ENTER 1tGxz0-000124-CD auth 203.0.113.80", "SENDER 1tGxz0-000124-CD <bob@example.com>",
	       "MSGID 1tGxz0-000124-CD CAF3a1b2c3@mail.example.com");
}

static void
test_arrival_local (void)
{
	g_autoptr (LogParser) p = parser ("out");
	CHECK (p,
	       "2026-11-27 10:02:00 1tGy01-000130-Ef <= alice@example.com U=alice P=local S=512 "
	       "id=E1tGy01-000130-Ef@out.example.com",
	       "ENTER 1tGy01-000130-Ef local -", "SENDER 1tGy01-000130-Ef <alice@example.com>",
	       "MSGID 1tGy01-000130-Ef E1tGy01-000130-Ef@out.example.com");
	CHECK (p, "2026-11-27 10:02:01 1tGy02-000131-aB <= bob@example.com U=bob P=local-smtp S=300",
	       "ENTER 1tGy02-000131-aB local -", "SENDER 1tGy02-000131-aB <bob@example.com>");
	CHECK (p,
	       "2026-11-27 10:02:02 1tGy03-000132-Zz <= root@out.example.com U=root P=local-esmtp S=300 "
	       "id=cron.1@out.example.com",
	       "ENTER 1tGy03-000132-Zz local -", "SENDER 1tGy03-000132-Zz <root@out.example.com>",
	       "MSGID 1tGy03-000132-Zz cron.1@out.example.com");
}

static void
test_arrival_relay (void)
{
	g_autoptr (LogParser) p = parser ("out");
	/* A client of ours, by address only: the importer judges the IP. */
	CHECK (p,
	       "2026-11-27 10:03:00 1tGy10-000140-Gh <= bob@example.com H=ws12.example.com (ws12) "
	       "[192.0.2.77]:50123 I=[192.0.2.1]:25 P=esmtp S=2345 id=ws12.77@example.com",
	       "ENTER 1tGy10-000140-Gh unknown 192.0.2.77", "SENDER 1tGy10-000140-Gh <bob@example.com>",
	       "MSGID 1tGy10-000140-Gh ws12.77@example.com");
	/* No reverse name, no HELO in parentheses. */
	CHECK (p, "2026-11-27 10:03:01 1tGy11-000141-Ij <= bob@example.com H=[192.0.2.78] P=smtp S=10",
	       "ENTER 1tGy11-000141-Ij unknown 192.0.2.78", "SENDER 1tGy11-000141-Ij <bob@example.com>");
	/* HELO only, and an address literal as the HELO: not the client. */
	CHECK (p,
	       "2026-11-27 10:03:02 1tGy12-000142-Kl <= carol@example.net H=([192.0.2.9]) "
	       "[203.0.113.45]:40000 P=esmtp S=10 id=x1@example.net",
	       "ENTER 1tGy12-000142-Kl unknown 203.0.113.45", "SENDER 1tGy12-000142-Kl <carol@example.net>",
	       "MSGID 1tGy12-000142-Kl x1@example.net");
	/* A junk HELO with blanks that pretends to be one of ours. */
	CHECK (p,
	       "2026-11-27 10:03:03 1tGy13-000143-Mn <= x@example.net H=(evil [192.0.2.1] A=y) "
	       "[203.0.113.46] P=esmtp S=10",
	       "ENTER 1tGy13-000143-Mn unknown 203.0.113.46", "SENDER 1tGy13-000143-Mn <x@example.net>");
	/* IPv6, and fields that could be misread in the subject and the tail. */
	CHECK (p,
	       "2026-11-27 10:03:04 1tGy14-000144-Op <= dave@remote.example H=mail.remote.example "
	       "[2001:db8::25]:33000 P=esmtps S=99 id=d@remote.example T=\"A=fake P=local R=x\" "
	       "from <dave@remote.example> for A=b@example.com",
	       "ENTER 1tGy14-000144-Op unknown 2001:db8::25", "SENDER 1tGy14-000144-Op <dave@remote.example>",
	       "MSGID 1tGy14-000144-Op d@remote.example");
	/* DN="..." holds blanks and '='. */
	CHECK (p,
	       "2026-11-27 10:03:05 1tGy15-000145-Qr <= eve@example.net H=mx.example.net [203.0.113.47] "
	       "P=esmtps X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes DN=\"/CN=mx.example.net A=b\" S=5",
	       "ENTER 1tGy15-000145-Qr unknown 203.0.113.47", "SENDER 1tGy15-000145-Qr <eve@example.net>");
	/* Fake reject ("(="): accepted all the same. */
	CHECK (p, "2026-11-27 10:03:06 1tGy16-000146-St (= spam@example.net H=[203.0.113.48] P=esmtp S=7",
	       "ENTER 1tGy16-000146-St unknown 203.0.113.48", "SENDER 1tGy16-000146-St <spam@example.net>");
}

static void
test_arrival_bounce (void)
{
	g_autoptr (LogParser) p = parser ("mx1");
	/* A bounce Exim made itself: local, null sender. */
	CHECK (p,
	       "2026-11-27 10:04:00 1tGy20-000150-Uv <= <> R=1tGy10-000140-Gh U=Debian-exim P=local S=3100 "
	       "id=E1tGy20-000150-Uv@mx1.example.com",
	       "ENTER 1tGy20-000150-Uv local -", "SENDER 1tGy20-000150-Uv <>",
	       "MSGID 1tGy20-000150-Uv E1tGy20-000150-Uv@mx1.example.com");
	/* A bounce from outside: <> but a client address, no R=. */
	CHECK (p,
	       "2026-11-27 10:04:01 1tGy21-000151-Wx <= <> H=mx.example.net [203.0.113.20] P=esmtp S=4000 "
	       "id=bounce.1@mx.example.net",
	       "ENTER 1tGy21-000151-Wx unknown 203.0.113.20", "SENDER 1tGy21-000151-Wx <>",
	       "MSGID 1tGy21-000151-Wx bounce.1@mx.example.net");
}

/* ---- deliveries ---------------------------------------------------------- */

static void
test_deliveries (void)
{
	g_autoptr (LogParser) p = parser ("out");
	CHECK (p,
	       "2026-11-27 10:00:02 1tGxyz-000123-AB => dave@remote.example R=dnslookup T=remote_smtp "
	       "H=mx.remote.example [198.51.100.7] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes "
	       "C=\"250 2.0.0 OK id=1tGr00-0001\"",
	       "RCPT 1tGxyz-000123-AB dave@remote.example sent");
	CHECK (p,
	       "2026-11-27 10:00:02 1tGxyz-000123-AB -> erin@remote.example R=dnslookup T=remote_smtp "
	       "H=mx.remote.example [198.51.100.7]",
	       "RCPT 1tGxyz-000123-AB erin@remote.example sent");
	/* A redirection: the delivered address, not the original. */
	CHECK (p,
	       "2026-11-27 10:00:02 1tGxyz-000123-AB => bob@example.net <bob@example.com> R=redirect "
	       "T=remote_smtp H=mx.example.net [203.0.113.20]",
	       "RCPT 1tGxyz-000123-AB bob@example.net sent");
	CHECK (p, "2026-11-27 10:00:02 1tGxyz-000123-AB *> frank@remote.example R=dnslookup T=remote_smtp",
	       "RCPT 1tGxyz-000123-AB frank@remote.example sent");
	CHECK (p,
	       "2026-11-27 10:00:02 1tGxyz-000123-AB >> gina@remote.example R=dnslookup T=remote_smtp "
	       "H=mx.remote.example [198.51.100.7] C=\"250 OK\"",
	       "RCPT 1tGxyz-000123-AB gina@remote.example sent");
	CHECK (p,
	       "2026-11-27 10:00:03 1tGxyz-000123-AB ** nobody@remote.example R=dnslookup T=remote_smtp "
	       "H=mx.remote.example [198.51.100.7]: SMTP error from remote mail server after RCPT "
	       "TO:<nobody@remote.example>: 550 5.1.1 User unknown",
	       "RCPT 1tGxyz-000123-AB nobody@remote.example bounced");
	CHECK (p, "2026-11-27 10:00:03 1tGxyz-000123-AB ** ghost@nowhere.example: Unrouteable address",
	       "RCPT 1tGxyz-000123-AB ghost@nowhere.example bounced");
	CHECK (p,
	       "2026-11-27 10:00:03 1tGxyz-000123-AB == harry@example.net R=dnslookup T=remote_smtp "
	       "defer (-44) H=mx.example.net [203.0.113.20]: SMTP error from remote mail server after "
	       "RCPT TO:<harry@example.net>: 451 4.7.1 Greylisted",
	       "RCPT 1tGxyz-000123-AB harry@example.net deferred");
	CHECK (p, "2026-11-27 10:00:04 1tGxyz-000123-AB Completed", "DONE 1tGxyz-000123-AB");
	CHECK (p, "2026-11-27 10:00:04 1tGxyz-000123-AB Completed QT=3s", "DONE 1tGxyz-000123-AB");
}

static void
test_no_event (void)
{
	g_autoptr (LogParser) p = parser ("mx1");
	NONE (p, "2026-11-27 10:00:00 SMTP connection from laptop.example.com [192.0.2.55]:50000 "
	         "I=[192.0.2.10]:587 (TCP/IP connection count = 1)");
	NONE (p, "2026-11-27 10:00:00 no host name found for IP address 203.0.113.99");
	NONE (p, "2026-11-27 10:00:00 H=(spammer) [203.0.113.99] F=<x@example.net> rejected RCPT "
	         "<nobody@example.com>: relay not permitted");
	NONE (p, "2026-11-27 10:00:00 Start queue run: pid=4321");
	NONE (p, "2026-11-27 10:00:00 End queue run: pid=4321");
	NONE (p, "2026-11-27 10:00:00 SMTP connection from [192.0.2.55] closed by QUIT");
	NONE (p, "2026-11-27 10:00:00 1tGxyz-000123-AB SMTP error from remote mail server after "
	         "RCPT TO:<x@remote.example>: 452 4.2.2 Mailbox full");
	NONE (p, "2026-11-27 10:00:00 1tGxyz-000123-AB Frozen (delivery error message)");
	NONE (p, "2026-11-27 10:00:00 1tGxyz-000123-AB H=mail.example.net [203.0.113.5] "
	         "F=<a@example.net> rejected after DATA: spam score too high");
	NONE (p, "2026-11-27 10:00:00 1tGxyz-000123-AB Completedness is not a word");
	NONE (p, "2026-11-27 10:00:00 1tGxyz-000123-AB <=alice@example.com");
	/* The continuation of a multi-line entry, and a blank line. */
	NONE (p, "  Envelope-from: <x@example.net>");
	NONE (p, "");
}

static void
test_message_ids (void)
{
	g_autoptr (LogParser) p = parser ("mx1");
	/* Old style, 6-6-2. */
	CHECK (p, "2026-11-27 10:00:00 1A2b3C-0004Xy-9Z => a@remote.example R=r T=t",
	       "RCPT 1A2b3C-0004Xy-9Z a@remote.example sent");
	/* Exim 4.97 and later, 6-11-4. */
	CHECK (p, "2026-11-27 10:00:00 1tGxyz-00000000ABC-dEf9 => a@remote.example R=r T=t",
	       "RCPT 1tGxyz-00000000ABC-dEf9 a@remote.example sent");
	CHECK (p, "2026-11-27 10:00:00 1tGxyz-00000000ABC-dEf9 Completed", "DONE 1tGxyz-00000000ABC-dEf9");
	/* Not IDs: wrong shapes are ID-less text. */
	NONE (p, "2026-11-27 10:00:00 1tGxyz-000123-ABC => a@remote.example");
	NONE (p, "2026-11-27 10:00:00 1tGxy!-000123-AB => a@remote.example");
	NONE (p, "2026-11-27 10:00:00 1tGxyz_000123-AB => a@remote.example");
}

/* ---- the sent log's cases: sequences ------------------------------------- */

static void
test_sequence_backscatter (void)
{
	/* A forged message from outside, for a user who does not exist behind
	 * us: accepted, the delivery fails, and our server bounces it to the
	 * forged sender. The original is foreign (client 203.0.113.66, no
	 * auth); the bounce is ours (local). */
	g_autoptr (LogParser) p = parser ("mx1");
	const char *const lines[] = {
		"2026-11-27 11:00:00 SMTP connection from bad.example.net [203.0.113.66]:40001 "
		"I=[192.0.2.10]:25 (TCP/IP connection count = 3)",
		"2026-11-27 11:00:01 1tGz00-000200-Aa <= victim@example.net H=bad.example.net (bad) "
		"[203.0.113.66]:40001 I=[192.0.2.10]:25 P=esmtp S=5120 id=fake.1234@example.net "
		"T=\"Invoice\"",
		"2026-11-27 11:00:02 1tGz00-000200-Aa ** nosuchuser@example.com R=mailstore "
		"T=remote_smtp H=store.example.com [192.0.2.20]: SMTP error from remote mail server "
		"after RCPT TO:<nosuchuser@example.com>: 550 5.1.1 User unknown",
		"2026-11-27 11:00:02 1tGz01-000201-Bb <= <> R=1tGz00-000200-Aa U=Debian-exim P=local "
		"S=6200 T=\"Mail delivery failed: returning message to sender\"",
		"2026-11-27 11:00:02 1tGz00-000200-Aa Completed",
		"2026-11-27 11:00:03 1tGz01-000201-Bb => victim@example.net R=dnslookup T=remote_smtp "
		"H=mx.example.net [203.0.113.20] C=\"250 OK\"",
		"2026-11-27 11:00:03 1tGz01-000201-Bb Completed",
		NULL
	};
	check_sequence (p, lines,
	                (const char *const[]) {
	                        "ENTER 1tGz00-000200-Aa unknown 203.0.113.66",
	                        "SENDER 1tGz00-000200-Aa <victim@example.net>",
	                        "MSGID 1tGz00-000200-Aa fake.1234@example.net",
	                        "RCPT 1tGz00-000200-Aa nosuchuser@example.com bounced",
	                        "ENTER 1tGz01-000201-Bb local -",
	                        "SENDER 1tGz01-000201-Bb <>",
	                        "DONE 1tGz00-000200-Aa",
	                        "RCPT 1tGz01-000201-Bb victim@example.net sent",
	                        "DONE 1tGz01-000201-Bb",
	                        NULL });
}

static void
test_sequence_submissions (void)
{
	g_autoptr (LogParser) p = parser ("out");
	const char *const lines[] = {
		/* authenticated */
		"2026-11-27 12:00:00 1tH000-000300-Cc <= alice@example.com H=laptop.example.com "
		"[192.0.2.55]:50500 P=esmtpsa A=dovecot_plain:alice S=900 id=a1@example.com",
		"2026-11-27 12:00:01 1tH000-000300-Cc => dave@remote.example R=dnslookup T=remote_smtp "
		"H=mx.remote.example [198.51.100.7]",
		"2026-11-27 12:00:01 1tH000-000300-Cc Completed",
		/* local */
		"2026-11-27 12:01:00 1tH001-000301-Dd <= bob@example.com U=bob P=local S=400 "
		"id=b1@out.example.com",
		"2026-11-27 12:01:01 1tH001-000301-Dd == erin@example.net R=dnslookup T=remote_smtp "
		"defer (111): Connection refused",
		/* relayed for a client address */
		"2026-11-27 12:02:00 1tH002-000302-Ee <= carol@example.com H=printer.example.com "
		"[192.0.2.99] P=smtp S=70000 id=scan.5@printer.example.com",
		"2026-11-27 12:02:01 1tH002-000302-Ee => carol@example.com R=local_user T=mail_spool",
		"2026-11-27 12:02:01 1tH002-000302-Ee Completed",
		NULL
	};
	check_sequence (p, lines,
	                (const char *const[]) {
	                        "ENTER 1tH000-000300-Cc auth 192.0.2.55",
	                        "SENDER 1tH000-000300-Cc <alice@example.com>",
	                        "MSGID 1tH000-000300-Cc a1@example.com",
	                        "RCPT 1tH000-000300-Cc dave@remote.example sent",
	                        "DONE 1tH000-000300-Cc",
	                        "ENTER 1tH001-000301-Dd local -",
	                        "SENDER 1tH001-000301-Dd <bob@example.com>",
	                        "MSGID 1tH001-000301-Dd b1@out.example.com",
	                        "RCPT 1tH001-000301-Dd erin@example.net deferred",
	                        "ENTER 1tH002-000302-Ee unknown 192.0.2.99",
	                        "SENDER 1tH002-000302-Ee <carol@example.com>",
	                        "MSGID 1tH002-000302-Ee scan.5@printer.example.com",
	                        "RCPT 1tH002-000302-Ee carol@example.com sent",
	                        "DONE 1tH002-000302-Ee",
	                        NULL });
}

/* ---- time stamps, server ------------------------------------------------- */

static void
test_time (void)
{
	g_assert_cmpint (datetime_from_civil (2026, 11, 27, 10, 0, 1), ==, T0);
	g_autoptr (LogParser) p = parser ("mx1");
	const char *const one[] = { "DONE 1tGxyz-000123-AB", NULL };
	/* Local time (TZ=UTC here). */
	check_line (p, "2026-11-27 10:00:01 1tGxyz-000123-AB Completed", "mx1", T0, one);
	/* log_timezone */
	check_line (p, "2026-11-27 11:00:01 +0100 1tGxyz-000123-AB Completed", "mx1", T0, one);
	check_line (p, "2026-11-27 05:00:01 -0500 1tGxyz-000123-AB Completed", "mx1", T0, one);
	/* +millisec, +pid, and both with a zone */
	check_line (p, "2026-11-27 10:00:01.734 1tGxyz-000123-AB Completed", "mx1", T0, one);
	check_line (p, "2026-11-27 10:00:01 [12345] 1tGxyz-000123-AB Completed", "mx1", T0, one);
	check_line (p, "2026-11-27 11:00:01.001 +0100 [77] 1tGxyz-000123-AB Completed", "mx1", T0, one);
	/* across midnight and the year */
	check_line (p, "2026-12-31 23:59:59 1tGxyz-000123-AB Completed", "mx1",
	            datetime_from_civil (2026, 12, 31, 23, 59, 59), one);
	check_line (p, "2027-01-01 00:30:00 +0100 1tGxyz-000123-AB Completed", "mx1",
	            datetime_from_civil (2026, 12, 31, 23, 30, 0), one);
}

static void
test_server (void)
{
	const char *line = "2026-11-27 10:00:04 1tGxyz-000123-AB Completed";
	const char *const one[] = { "DONE 1tGxyz-000123-AB", NULL };
	{
		g_autoptr (LogParser) p = parser ("out");
		check_line (p, line, "out", T0 + 3, one);
	}
	{
		/* No --server: the mainlog has no host field, so this host. */
		g_autoptr (LogParser) p = parser (NULL);
		check_line (p, line, g_get_host_name (), T0 + 3, one);
	}
}

/* ---- malformed ----------------------------------------------------------- */

static void
test_malformed (void)
{
	g_autoptr (LogParser) p = parser ("mx1");
	check_bad (p, "garbage");
	check_bad (p, "Nov 27 10:00:01 mx1 exim[123]: 1tGxyz-000123-AB Completed");
	check_bad (p, "2026-11-27T10:00:01Z 1tGxyz-000123-AB Completed");
	check_bad (p, "2026-11-27 25:00:01 1tGxyz-000123-AB Completed");
	check_bad (p, "2026-13-27 10:00:01 1tGxyz-000123-AB Completed");
	check_bad (p, "2026-11-27 10:00");
	check_bad (p, "2026-11-27 10:00:01");
	check_bad (p, "2026-11-27 10:00:01 ");
	/* an ID line cut at or in the flag field */
	check_bad (p, "2026-11-27 10:00:01 1tGxyz-000123-AB");
	check_bad (p, "2026-11-27 10:00:01 1tGxyz-000123-AB ");
	check_bad (p, "2026-11-27 10:00:01 1tGxyz-000123-AB <=");
	check_bad (p, "2026-11-27 10:00:01 1tGxyz-000123-AB <= ");
	check_bad (p, "2026-11-27 10:00:01 1tGxyz-000123-AB =>");
	check_bad (p, "2026-11-27 10:00:01 1tGxyz-000123-AB **  ");
	check_bad (p, "2026-11-27 10:00:01 1tGxyz-000123-AB <= alice@example.com H=laptop [192.0.2");
	/* longer than the limit */
	g_autofree char *huge = g_strnfill (NS_MAX_LOG_LINE + 1, 'x');
	memcpy (huge, "2026-11-27 10:00:01 1tGxyz-000123-AB => ", 40);
	check_bad_code (p, huge, LOGPARSE_ERROR_TOO_LONG);
}

static void
test_long_line (void)
{
	/* The longest line allowed, with a huge H= part: no overrun. */
	g_autoptr (LogParser) p = parser ("mx1");
	GString *s = g_string_new ("2026-11-27 10:00:01 1tGxyz-000123-AB <= a@example.com H=(");
	while (s->len < NS_MAX_LOG_LINE - 40)
		g_string_append (s, "x [192.0.2.1] ");
	g_string_append (s, ") [203.0.113.7] P=esmtp");
	g_string_truncate (s, MIN (s->len, (gsize) NS_MAX_LOG_LINE));
	Sink sk;
	sink_init (&sk);
	g_autoptr (GError) error = NULL;
	g_assert_true (logparse_line (p, s->str, s->len, record, &sk, &error));
	g_assert_cmpuint (sk.got->len, ==, 2);
	g_assert_cmpstr (g_ptr_array_index (sk.got, 0), ==, "ENTER 1tGxyz-000123-AB unknown 203.0.113.7");
	sink_clear (&sk);
	g_string_free (s, TRUE);
}

/* ---- detection, sample --------------------------------------------------- */

static void
test_detect (void)
{
	g_assert_true (logparse_exim_ops.detect (
	        "2026-11-27 10:00:00 SMTP connection from [192.0.2.55]:50000 I=[192.0.2.10]:25\n"
	        "2026-11-27 10:00:01 1tGxyz-000123-AB <= alice@example.com H=[192.0.2.55] P=esmtp\n"));
	g_assert_true (logparse_exim_ops.detect ("2026-11-27 10:00:01 +0100 [123] 1tGxyz-000123-AB Completed"));
	g_assert_true (logparse_exim_ops.detect ("2026-11-27 10:00:01 Start queue run: pid=1\n"));
	g_assert_true (logparse_exim_ops.detect ("2026-11-27 10:00:01 no host name found for IP address 203.0.113.5\n"));
	/* syslog lines, even with a blank in the stamp, are not Exim's */
	g_assert_false (logparse_exim_ops.detect (
	        "Nov 27 10:00:01 mx1 postfix/smtpd[123]: connect from unknown[203.0.113.5]\n"));
	g_assert_false (logparse_exim_ops.detect (
	        "2026-11-27 10:00:01 mx1 postfix/smtpd[123]: connect from unknown[203.0.113.5]\n"));
	g_assert_false (logparse_exim_ops.detect (
	        "2026-11-27T10:00:01+00:00 mx1 sm-mta[1]: x4RA01abc012345: from=<a@b>, relay=[1.2.3.4]\n"));
	g_assert_false (logparse_exim_ops.detect ("{\"time\":\"2026-11-27T10:00:01Z\"}\n"));
	g_assert_false (logparse_exim_ops.detect (""));
	g_assert_cmpint (logparse_detect ("2026-11-27 10:00:01 1tGxyz-000123-AB Completed\n"), ==,
	                 LOG_FORMAT_EXIM);
}

static char *
sample_path (const char *name)
{
	const char *top = g_getenv ("top_srcdir");
	return g_build_filename (top ? top : ".", "samples", "logs", name, NULL);
}

static void
count_events (const LogEvent *e, gpointer data)
{
	/* Coverage-only events have a test of their own ("seen"). */
	if (e->type == LOG_EVENT_SEEN)
		return;
	guint *counts = data;
	counts[e->type]++;
	g_assert_nonnull (e->queue_id);
}

static void
test_sample (void)
{
	g_autofree char *path = sample_path ("exim.log");
	g_autofree char *text = NULL;
	gsize size;
	if (!g_file_get_contents (path, &text, &size, NULL)) {
		g_test_skip ("sample log not found (set top_srcdir)");
		return;
	}
	g_assert_cmpint (logparse_detect (text), ==, LOG_FORMAT_EXIM);
	g_autoptr (LogParser) p = parser ("mx1");
	guint counts[LOG_EVENT_RECORD + 1] = { 0 }, lines = 0;
	g_auto (GStrv) v = g_strsplit (text, "\n", -1);
	for (guint i = 0; v[i]; i++) {
		if (v[i][0] == '\0' && v[i + 1] == NULL)
			break;
		g_autoptr (GError) error = NULL;
		if (!logparse_line (p, v[i], strlen (v[i]), count_events, counts, &error))
			g_error ("%s:%u: %s", path, i + 1, error->message);
		lines++;
	}
	g_assert_cmpuint (lines, >=, 25);
	g_assert_cmpuint (counts[LOG_EVENT_ENTER], >=, 5);
	g_assert_cmpuint (counts[LOG_EVENT_ENTER], ==, counts[LOG_EVENT_SENDER]);
	g_assert_cmpuint (counts[LOG_EVENT_RECIPIENT], >=, 5);
	g_assert_cmpuint (counts[LOG_EVENT_DONE], >=, 3);
	g_assert_cmpuint (counts[LOG_EVENT_RECORD], ==, 0);
}

int
main (int argc, char **argv)
{
	g_setenv ("TZ", "UTC", TRUE);
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/logparse-exim/arrival/auth", test_arrival_auth);
	g_test_add_func ("/logparse-exim/arrival/local", test_arrival_local);
	g_test_add_func ("/logparse-exim/arrival/relay", test_arrival_relay);
	g_test_add_func ("/logparse-exim/arrival/bounce", test_arrival_bounce);
	g_test_add_func ("/logparse-exim/deliveries", test_deliveries);
	g_test_add_func ("/logparse-exim/no-event", test_no_event);
	g_test_add_func ("/logparse-exim/message-ids", test_message_ids);
	g_test_add_func ("/logparse-exim/sequence/backscatter", test_sequence_backscatter);
	g_test_add_func ("/logparse-exim/sequence/submissions", test_sequence_submissions);
	g_test_add_func ("/logparse-exim/time", test_time);
	g_test_add_func ("/logparse-exim/server", test_server);
	g_test_add_func ("/logparse-exim/malformed", test_malformed);
	g_test_add_func ("/logparse-exim/long-line", test_long_line);
	g_test_add_func ("/logparse-exim/detect", test_detect);
	g_test_add_func ("/logparse-exim/sample", test_sample);
	return g_test_run ();
}
