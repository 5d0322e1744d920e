/* Unit tests for src/logparse_sendmail.c: every line kind Sendmail writes
 * through syslog, with the exact events; the origin cases the sent log
 * needs (an authenticated submission, a local one through sm-msp-queue, a
 * relay for a client address, a foreign message bounced by us:
 * backscatter); time stamps; malformed lines; --server and a central
 * syslog with two hosts; detection; the sample log. */
#include "log-events.h"

static LogParser *
parser (const char *server)
{
	return logparse_new (LOG_FORMAT_SENDMAIL, server, NOW);
}

/* ---- from= / AUTH= ------------------------------------------------------- */

static void
test_from_auth (void)
{
	g_autoptr (LogParser) p = parser (NULL);
	/* The AUTH line with a queue ID, then from= with proto=ESMTPSA. */
	check_line (p,
	            "Nov 27 10:00:01 out sm-mta[2101]: x4RA01abc012345: AUTH=server, relay=laptop.example.com "
	            "[192.0.2.55], authid=alice, mech=PLAIN, bits=0",
	            "out", T0, (const char *const[]) { "ENTER x4RA01abc012345 auth 192.0.2.55", NULL });
	check_line (p,
	            "Nov 27 10:00:01 out sm-mta[2101]: x4RA01abc012345: from=<alice@example.com>, size=1234, "
	            "class=0, nrcpts=1, msgid=<20261127100001.x4RA@example.com>, proto=ESMTPA, daemon=MTA, "
	            "relay=laptop.example.com [192.0.2.55]",
	            "out", T0,
	            (const char *const[]) { "ENTER x4RA01abc012345 auth 192.0.2.55",
	                                    "SENDER x4RA01abc012345 <alice@example.com>",
	                                    "MSGID x4RA01abc012345 <20261127100001.x4RA@example.com>", NULL });
	/* ESMTPSA, UTF8SMTPSA: authenticated too; ESMTPS is not. */
	CHECK (p,
	       "Nov 27 10:00:02 out sm-mta[2102]: x4RA02abc012346: from=<bob@example.com>, size=1, class=0, "
	       "nrcpts=1, msgid=<b@example.com>, proto=UTF8SMTPSA, daemon=MSA, relay=[203.0.113.80]",
	       "ENTER x4RA02abc012346 auth 203.0.113.80", "SENDER x4RA02abc012346 <bob@example.com>",
	       "MSGID x4RA02abc012346 <b@example.com>");
	CHECK (p,
	       "Nov 27 10:00:02 out sm-mta[2102]: x4RA02abc012347: from=<bob@example.com>, size=1, class=0, "
	       "nrcpts=1, msgid=<c@example.com>, proto=ESMTPS, daemon=MTA, relay=[203.0.113.81]",
	       "ENTER x4RA02abc012347 unknown 203.0.113.81", "SENDER x4RA02abc012347 <bob@example.com>",
	       "MSGID x4RA02abc012347 <c@example.com>");
	/* AUTH without a queue ID (older versions), and our own AUTH as a
	 * client: nothing. */
	NONE (p, "Nov 27 10:00:01 out sm-mta[2101]: AUTH=server, relay=laptop.example.com [192.0.2.55], "
	         "authid=alice, mech=PLAIN, bits=0");
	NONE (p, "Nov 27 10:00:03 out sm-mta[2104]: x4RA01abc012345: AUTH=client, relay=smarthost.example.net, "
	         "mech=PLAIN, bits=0");
}

static void
test_from_local (void)
{
	g_autoptr (LogParser) p = parser (NULL);
	/* sm-msp-queue: the user's submission, no connection. */
	CHECK (p,
	       "Nov 27 10:02:00 out sm-msp-queue[2200]: x4RA2000b002200: from=bob, size=412, class=0, "
	       "nrcpts=1, msgid=<202611271002.x4RA2000b002200@out.example.com>, relay=bob@localhost",
	       "ENTER x4RA2000b002200 local -", "SENDER x4RA2000b002200 <bob>",
	       "MSGID x4RA2000b002200 <202611271002.x4RA2000b002200@out.example.com>");
	/* ... handed to sm-mta over the loopback: a new queue ID, local too. */
	CHECK (p,
	       "Nov 27 10:02:00 out sm-mta[2201]: x4RA2000c002201: from=<bob@out.example.com>, size=655, "
	       "class=0, nrcpts=1, msgid=<202611271002.x4RA2000b002200@out.example.com>, proto=ESMTP, "
	       "daemon=MTA-v4, relay=localhost [127.0.0.1]",
	       "ENTER x4RA2000c002201 local 127.0.0.1", "SENDER x4RA2000c002201 <bob@out.example.com>",
	       "MSGID x4RA2000c002201 <202611271002.x4RA2000b002200@out.example.com>");
	CHECK (p,
	       "Nov 27 10:02:00 out sm-mta[2201]: x4RA2000c002202: from=<root@out.example.com>, size=6, "
	       "class=0, nrcpts=1, msgid=<r@out.example.com>, proto=ESMTP, daemon=MTA-v6, "
	       "relay=localhost [IPv6:::1]",
	       "ENTER x4RA2000c002202 local ::1", "SENDER x4RA2000c002202 <root@out.example.com>",
	       "MSGID x4RA2000c002202 <r@out.example.com>");
	/* sendmail -bs and the like: no relay address at all. */
	CHECK (p,
	       "Nov 27 10:02:00 out sendmail[2205]: x4RA2000c002203: from=root, size=6, class=0, nrcpts=1, "
	       "relay=root@localhost",
	       "ENTER x4RA2000c002203 local -", "SENDER x4RA2000c002203 <root>");
}

static void
test_from_relay (void)
{
	g_autoptr (LogParser) p = parser (NULL);
	CHECK (p,
	       "Nov 27 10:03:01 out sm-mta[2300]: x4RA3001d002300: from=<carol@example.com>, size=70211, "
	       "class=0, nrcpts=2, msgid=<scan.5@printer.example.com>, proto=SMTP, daemon=MTA-v4, "
	       "relay=printer.example.com [192.0.2.99]",
	       "ENTER x4RA3001d002300 unknown 192.0.2.99", "SENDER x4RA3001d002300 <carol@example.com>",
	       "MSGID x4RA3001d002300 <scan.5@printer.example.com>");
	/* IPv6, "(may be forged)", an ident user, a null sender, no msgid=. */
	CHECK (p,
	       "Nov 27 10:20:00 mx1 sm-mta[3400]: x4RAK000g003400: from=<>, size=3000, class=0, nrcpts=1, "
	       "proto=ESMTPS, daemon=MTA-v6, relay=ident@mail.remote.example [IPv6:2001:db8:100::25] "
	       "(may be forged)",
	       "ENTER x4RAK000g003400 unknown 2001:db8:100::25", "SENDER x4RAK000g003400 <>");
	/* A relay cut by Sendmail's length limit: no address to judge. */
	CHECK (p,
	       "Nov 27 10:20:01 mx1 sm-mta[3401]: x4RAK001g003401: from=<x@example.net>, size=1, class=0, "
	       "nrcpts=1, msgid=<x@example.net>, proto=ESMTP, daemon=MTA, relay=very-long.name.example [203.0",
	       "ENTER x4RAK001g003401 unknown -", "SENDER x4RAK001g003401 <x@example.net>",
	       "MSGID x4RAK001g003401 <x@example.net>");
	/* Sendmail's own response: relay=[RESPONSE]. */
	CHECK (p,
	       "Nov 27 10:20:02 mx1 sm-mta[3402]: x4RAK002g003402: from=<>, size=900, class=0, nrcpts=1, "
	       "msgid=<201.x4RAK002g003402@mx1.example.com>, relay=[RESPONSE]",
	       "ENTER x4RAK002g003402 local -", "SENDER x4RAK002g003402 <>",
	       "MSGID x4RAK002g003402 <201.x4RAK002g003402@mx1.example.com>");
	/* A transaction whose recipients were all refused: no message. */
	NONE (p, "Nov 27 10:05:20 mx1 sm-mta[3099]: x4RA5020e003099: from=<victim@example.net>, size=0, "
	         "class=0, nrcpts=0, proto=ESMTP, daemon=MTA-v4, relay=[203.0.113.66]");
}

/* ---- to= ----------------------------------------------------------------- */

static void
test_to (void)
{
	g_autoptr (LogParser) p = parser (NULL);
	CHECK (p,
	       "Nov 27 10:00:02 out sm-mta[2104]: x4RA01abc012345: to=<dave@remote.example>, delay=00:00:01, "
	       "xdelay=00:00:01, mailer=esmtp, pri=120, relay=mx.remote.example. [198.51.100.7], dsn=2.0.0, "
	       "stat=Sent (OK id=1tGr00-000999-Zz)",
	       "RCPT x4RA01abc012345 dave@remote.example sent");
	/* several recipients, one event each */
	CHECK (p,
	       "Nov 27 10:00:02 out sm-mta[2104]: x4RA01abc012345: to=<a@remote.example>,<b@remote.example>,"
	       "<\"c, d\"@remote.example>, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=120, "
	       "relay=mx.remote.example. [198.51.100.7], dsn=2.0.0, stat=Sent (OK)",
	       "RCPT x4RA01abc012345 a@remote.example sent", "RCPT x4RA01abc012345 b@remote.example sent",
	       "RCPT x4RA01abc012345 \"c, d\"@remote.example sent");
	/* a long list split by Sendmail: "[more]" */
	CHECK (p,
	       "Nov 27 10:00:02 out sm-mta[2104]: x4RA01abc012345: to=<e@remote.example>,<f@remote.example>, "
	       "[more], delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=120, relay=mx.remote.example. "
	       "[198.51.100.7], dsn=2.0.0, stat=Sent (OK)",
	       "RCPT x4RA01abc012345 e@remote.example sent", "RCPT x4RA01abc012345 f@remote.example sent");
	/* local users, without brackets */
	CHECK (p,
	       "Nov 27 10:00:02 mx1 sm-mta[3201]: x4RAA000f003200: to=alice,bob, ctladdr=<postmaster@example.com> "
	       "(0/0), delay=00:00:00, xdelay=00:00:00, mailer=local, pri=38811, dsn=2.0.0, stat=Sent",
	       "RCPT x4RAA000f003200 alice sent", "RCPT x4RAA000f003200 bob sent");
	/* the dsn= class decides */
	CHECK (p,
	       "Nov 27 10:02:03 out sm-mta[2203]: x4RA2000c002201: to=<frank@example.net>, delay=00:00:03, "
	       "xdelay=00:00:03, mailer=esmtp, pri=120655, relay=mx.example.net., dsn=4.0.0, "
	       "stat=Deferred: Connection refused by mx.example.net.",
	       "RCPT x4RA2000c002201 frank@example.net deferred");
	CHECK (p,
	       "Nov 27 10:05:31 mx1 sm-mta[3101]: x4RA5030e003100: to=<nosuchuser@example.com>, delay=00:00:01, "
	       "xdelay=00:00:00, mailer=esmtp, pri=125120, relay=store.example.com. [192.0.2.20], dsn=5.1.1, "
	       "stat=User unknown",
	       "RCPT x4RA5030e003100 nosuchuser@example.com bounced");
	CHECK (p,
	       "Nov 27 10:05:31 mx1 sm-mta[3101]: x4RA5030e003100: to=<x@example.net>, delay=00:00:01, "
	       "mailer=esmtp, pri=1, relay=mx.example.net. [203.0.113.20], dsn=5.0.0, stat=Service unavailable",
	       "RCPT x4RA5030e003100 x@example.net bounced");
	/* no dsn= (old versions): stat='s first word */
	CHECK (p, "Nov 27 10:05:31 mx1 sendmail[3101]: KAA12345: to=<y@example.net>, delay=00:00:01, stat=Sent",
	       "RCPT KAA12345 y@example.net sent");
	CHECK (p,
	       "Nov 27 10:05:31 mx1 sendmail[3101]: KAA12345: to=<y@example.net>, delay=00:00:01, "
	       "stat=Deferred: Connection timed out with mx.example.net.",
	       "RCPT KAA12345 y@example.net deferred");
	CHECK (p, "Nov 27 10:05:31 mx1 sendmail[3101]: KAA12345: to=<z@example.net>, delay=00:00:01, stat=User unknown",
	       "RCPT KAA12345 z@example.net bounced");
	CHECK (p,
	       "Nov 27 10:05:31 out sm-msp-queue[2200]: x4RA2000b002200: to=bob@remote.example, ctladdr=bob "
	       "(1001/1001), delay=00:00:00, xdelay=00:00:00, mailer=relay, pri=30412, relay=[127.0.0.1], "
	       "stat=queued",
	       "RCPT x4RA2000b002200 bob@remote.example deferred");
}

static void
test_dsn (void)
{
	g_autoptr (LogParser) p = parser (NULL);
	CHECK (p, "Nov 27 10:05:31 mx1 sm-mta[3101]: x4RA5030e003100: x4RA5031e003101: DSN: User unknown",
	       "ENTER x4RA5031e003101 local -", "SENDER x4RA5031e003101 <>");
	CHECK (p,
	       "Nov 27 14:05:31 mx1 sm-mta[3101]: x4RA5030e003100: x4RE5031e003900: DSN: Warning: could not "
	       "send message for past 4 hours",
	       "ENTER x4RE5031e003900 local -", "SENDER x4RE5031e003900 <>");
	CHECK (p, "Nov 27 10:05:31 mx1 sm-mta[3101]: x4RA5031e003101: x4RA5032e003102: postmaster notify: User unknown",
	       "ENTER x4RA5032e003102 local -", "SENDER x4RA5032e003102 <>");
	CHECK (p, "Nov 27 10:05:31 mx1 sendmail[3101]: KAA12345: KAA12346: return to sender: User unknown",
	       "ENTER KAA12346 local -", "SENDER KAA12346 <>");
	/* an envelope split for an owner- address is the same message, not ours */
	NONE (p, "Nov 27 10:05:31 mx1 sm-mta[3101]: x4RA5030e003100: x4RA5030e103100: clone: owner=owner-list@example.com");
}

static void
test_no_event (void)
{
	g_autoptr (LogParser) p = parser (NULL);
	NONE (p, "Nov 27 09:58:40 out sm-mta[2001]: starting daemon (8.17.2): SMTP+queueing@00:25:00");
	NONE (p, "Nov 27 10:00:00 out sm-mta[2101]: STARTTLS=server, relay=laptop.example.com [192.0.2.55], "
	         "version=TLSv1.3, verify=NO, cipher=TLS_AES_256_GCM_SHA384, bits=256/256");
	NONE (p, "Nov 27 10:08:11 mx1 sm-mta[3150]: NOQUEUE: connect from [203.0.113.90]");
	NONE (p, "Nov 27 10:05:20 mx1 sm-mta[3099]: x4RA5020e003099: ruleset=check_rcpt, "
	         "arg1=<postmaster@remote.example>, relay=[203.0.113.66], reject=550 5.7.1 "
	         "<postmaster@remote.example>... Relaying denied");
	NONE (p, "Nov 27 10:05:25 mx1 sm-mta[3099]: x4RA5020e003099: lost input channel from [203.0.113.66] "
	         "to MTA-v4 after rcpt");
	NONE (p, "Nov 27 10:05:25 mx1 sm-mta[3099]: x4RA5020e003099: Milter: data, reject=554 5.7.1 Spam");
	NONE (p, "Nov 27 10:05:25 mx1 sm-mta[3099]: x4RA5020e003099: <nobody@example.com>... User unknown");
	/* other programs, even with from= and to= */
	NONE (p, "Nov 27 10:05:25 mx1 postfix/qmgr[99]: 4Xb2: from=<a@example.com>, size=1, nrcpt=1 (queue active)");
	NONE (p, "Nov 27 10:05:25 mx1 dovecot: imap-login: Login: user=<alice@example.com>, rip=192.0.2.55");
	NONE (p, "Nov 27 10:15:01 mx1 CRON[3300]: (root) CMD (debian-sa1 1 1)");
	NONE (p, "Nov 27 10:15:01 mx1 sm-mta-in[3300]: x4RA5020e003099: from=<a@example.com>, relay=[192.0.2.1]");
}

/* ---- the sent log's cases: sequences ------------------------------------- */

static void
test_sequence_backscatter (void)
{
	/* A forged message from outside for a user who does not exist behind
	 * us: accepted, the delivery fails, and our server bounces it to the
	 * forged sender. The original is foreign (203.0.113.66, no auth); the
	 * DSN is ours (local). */
	g_autoptr (LogParser) p = parser (NULL);
	const char *const lines[] = {
		"Nov 27 10:05:30 mx1 sm-mta[3100]: x4RA5030e003100: from=<victim@example.net>, size=5120, "
		"class=0, nrcpts=1, msgid=<fake.1234@example.net>, proto=ESMTP, daemon=MTA-v4, "
		"relay=[203.0.113.66]",
		"Nov 27 10:05:31 mx1 sm-mta[3101]: x4RA5030e003100: to=<nosuchuser@example.com>, "
		"delay=00:00:01, xdelay=00:00:00, mailer=esmtp, pri=125120, relay=store.example.com. "
		"[192.0.2.20], dsn=5.1.1, stat=User unknown",
		"Nov 27 10:05:31 mx1 sm-mta[3101]: x4RA5030e003100: x4RA5031e003101: DSN: User unknown",
		"Nov 27 10:05:32 mx1 sm-mta[3101]: x4RA5031e003101: to=<victim@example.net>, delay=00:00:01, "
		"xdelay=00:00:01, mailer=esmtp, pri=36320, relay=mx.example.net. [203.0.113.20], dsn=2.0.0, "
		"stat=Sent (OK)",
		NULL
	};
	check_sequence (p, lines,
	                (const char *const[]) {
	                        "ENTER x4RA5030e003100 unknown 203.0.113.66",
	                        "SENDER x4RA5030e003100 <victim@example.net>",
	                        "MSGID x4RA5030e003100 <fake.1234@example.net>",
	                        "RCPT x4RA5030e003100 nosuchuser@example.com bounced",
	                        "ENTER x4RA5031e003101 local -",
	                        "SENDER x4RA5031e003101 <>",
	                        "RCPT x4RA5031e003101 victim@example.net sent",
	                        NULL });
}

static void
test_sequence_submissions (void)
{
	g_autoptr (LogParser) p = parser (NULL);
	const char *const lines[] = {
		/* authenticated, the AUTH line first */
		"Nov 27 10:41:17 out sm-mta[2600]: STARTTLS=server, relay=[203.0.113.80], version=TLSv1.3, "
		"verify=NO, cipher=TLS_AES_256_GCM_SHA384, bits=256/256",
		"Nov 27 10:41:17 out sm-mta[2600]: x4RAf117h002600: AUTH=server, relay=[203.0.113.80], "
		"authid=bob, mech=LOGIN, bits=0",
		"Nov 27 10:41:17 out sm-mta[2600]: x4RAf117h002600: from=<bob@example.com>, size=2201, "
		"class=0, nrcpts=1, msgid=<CAF3a1b2c3@mail.example.com>, proto=ESMTP, daemon=MSA, "
		"relay=[203.0.113.80]",
		"Nov 27 10:41:19 out sm-mta[2601]: x4RAf117h002600: to=<henry@remote.example>, "
		"delay=00:00:02, xdelay=00:00:02, mailer=esmtp, pri=122201, relay=mx.remote.example. "
		"[198.51.100.7], dsn=2.0.0, stat=Sent (OK)",
		/* local, logged twice: sm-msp-queue, then sm-mta with a new ID */
		"Nov 27 10:42:00 out sm-msp-queue[2700]: x4RAg200b002700: from=alice, size=412, class=0, "
		"nrcpts=1, msgid=<202611271042.x4RAg200b002700@out.example.com>, relay=alice@localhost",
		"Nov 27 10:42:00 out sm-mta[2701]: x4RAg200c002701: from=<alice@out.example.com>, size=655, "
		"class=0, nrcpts=1, msgid=<202611271042.x4RAg200b002700@out.example.com>, proto=ESMTP, "
		"daemon=MTA-v4, relay=localhost [127.0.0.1]",
		"Nov 27 10:42:00 out sm-msp-queue[2700]: x4RAg200b002700: to=dave@remote.example, "
		"ctladdr=alice (1000/1000), delay=00:00:00, xdelay=00:00:00, mailer=relay, pri=30412, "
		"relay=[127.0.0.1] [127.0.0.1], dsn=2.0.0, stat=Sent (x4RAg200c002701 Message accepted for delivery)",
		"Nov 27 10:42:01 out sm-mta[2702]: x4RAg200c002701: to=<dave@remote.example>, "
		"ctladdr=<alice@out.example.com> (1000/1000), delay=00:00:01, xdelay=00:00:01, mailer=esmtp, "
		"pri=120655, relay=mx.remote.example. [198.51.100.7], dsn=2.0.0, stat=Sent (OK)",
		/* relayed for a client address */
		"Nov 27 10:43:00 out sm-mta[2800]: x4RAh300d002800: from=<carol@example.com>, size=70211, "
		"class=0, nrcpts=1, msgid=<scan.9@printer.example.com>, proto=SMTP, daemon=MTA-v4, "
		"relay=printer.example.com [192.0.2.99]",
		"Nov 27 10:43:01 out sm-mta[2801]: x4RAh300d002800: to=<gina@example.net>, delay=00:00:01, "
		"xdelay=00:00:01, mailer=esmtp, pri=100211, relay=mx.example.net. [203.0.113.20], "
		"dsn=4.2.0, stat=Deferred: 451 4.2.0 Greylisted",
		NULL
	};
	check_sequence (p, lines,
	                (const char *const[]) {
	                        "ENTER x4RAf117h002600 auth 203.0.113.80",
	                        "ENTER x4RAf117h002600 unknown 203.0.113.80",
	                        "SENDER x4RAf117h002600 <bob@example.com>",
	                        "MSGID x4RAf117h002600 <CAF3a1b2c3@mail.example.com>",
	                        "RCPT x4RAf117h002600 henry@remote.example sent",
	                        "ENTER x4RAg200b002700 local -",
	                        "SENDER x4RAg200b002700 <alice>",
	                        "MSGID x4RAg200b002700 <202611271042.x4RAg200b002700@out.example.com>",
	                        "ENTER x4RAg200c002701 local 127.0.0.1",
	                        "SENDER x4RAg200c002701 <alice@out.example.com>",
	                        "MSGID x4RAg200c002701 <202611271042.x4RAg200b002700@out.example.com>",
	                        "RCPT x4RAg200b002700 dave@remote.example sent",
	                        "RCPT x4RAg200c002701 dave@remote.example sent",
	                        "ENTER x4RAh300d002800 unknown 192.0.2.99",
	                        "SENDER x4RAh300d002800 <carol@example.com>",
	                        "MSGID x4RAh300d002800 <scan.9@printer.example.com>",
	                        "RCPT x4RAh300d002800 gina@example.net deferred",
	                        NULL });
}

/* ---- time stamps, servers ------------------------------------------------ */

static void
test_time (void)
{
	g_assert_cmpint (datetime_from_civil (2026, 11, 27, 10, 0, 1), ==, T0);
	const char *const one[] = { "RCPT KAA12345 y@example.net sent", NULL };
	{
		g_autoptr (LogParser) p = parser (NULL);
		/* classic: local time (TZ=UTC here), the year of `now` */
		check_line (p, "Nov 27 10:00:01 mx1 sendmail[1]: KAA12345: to=<y@example.net>, stat=Sent",
		            "mx1", T0, one);
		/* RFC 3339 with an offset, and journalctl's short-iso */
		check_line (p, "2026-11-27T11:00:01.123456+01:00 mx1 sendmail[1]: KAA12345: to=<y@example.net>, stat=Sent",
		            "mx1", T0, one);
		check_line (p, "2026-11-27T10:00:01+0000 mx1 sendmail[1]: KAA12345: to=<y@example.net>, stat=Sent",
		            "mx1", T0, one);
	}
	{
		/* read on 2 January 2027: December's lines are from 2026 */
		g_autoptr (LogParser) p = logparse_new (LOG_FORMAT_SENDMAIL, NULL,
		                                        datetime_from_civil (2027, 1, 2, 8, 0, 0));
		check_line (p, "Dec 31 23:59:59 mx1 sendmail[1]: KAA12345: to=<y@example.net>, stat=Sent",
		            "mx1", datetime_from_civil (2026, 12, 31, 23, 59, 59), one);
		check_line (p, "Jan  2 07:59:00 mx1 sendmail[1]: KAA12345: to=<y@example.net>, stat=Sent",
		            "mx1", datetime_from_civil (2027, 1, 2, 7, 59, 0), one);
	}
}

static void
test_central_syslog (void)
{
	const char *from_out =
	        "Nov 27 10:00:01 out sm-mta[2101]: x4RA01abc012345: from=<alice@example.com>, size=1, "
	        "class=0, nrcpts=1, msgid=<a@example.com>, proto=ESMTPA, daemon=MSA, relay=[192.0.2.55]";
	const char *from_mx1 =
	        "Nov 27 10:00:01 mx1.example.com sm-mta[3101]: x4RA01abc012345: to=<bob@example.com>, "
	        "mailer=local, pri=1, dsn=2.0.0, stat=Sent";
	{
		/* one file, two hosts: two servers, even with the same queue ID */
		g_autoptr (LogParser) p = parser (NULL);
		check_line (p, from_out, "out", T0,
		            (const char *const[]) { "ENTER x4RA01abc012345 auth 192.0.2.55",
		                                    "SENDER x4RA01abc012345 <alice@example.com>",
		                                    "MSGID x4RA01abc012345 <a@example.com>", NULL });
		check_line (p, from_mx1, "mx1.example.com", T0,
		            (const char *const[]) { "RCPT x4RA01abc012345 bob@example.com sent", NULL });
		check_line (p, from_out, "out", T0,
		            (const char *const[]) { "ENTER x4RA01abc012345 auth 192.0.2.55",
		                                    "SENDER x4RA01abc012345 <alice@example.com>",
		                                    "MSGID x4RA01abc012345 <a@example.com>", NULL });
	}
	{
		/* --server names every line's server */
		g_autoptr (LogParser) p = parser ("relay1");
		check_line (p, from_out, "relay1", T0,
		            (const char *const[]) { "ENTER x4RA01abc012345 auth 192.0.2.55",
		                                    "SENDER x4RA01abc012345 <alice@example.com>",
		                                    "MSGID x4RA01abc012345 <a@example.com>", NULL });
		check_line (p, from_mx1, "relay1", T0,
		            (const char *const[]) { "RCPT x4RA01abc012345 bob@example.com sent", NULL });
	}
}

/* ---- malformed ----------------------------------------------------------- */

static void
test_malformed (void)
{
	g_autoptr (LogParser) p = parser (NULL);
	/* not syslog */
	check_bad (p, "garbage");
	check_bad (p, "");
	check_bad (p, "2026-11-27 10:00:01 1tGxyz-000123-AB <= alice@example.com H=[192.0.2.55] P=esmtp");
	check_bad (p, "Nov 27 10:00:01 mx1");
	check_bad (p, "Nov 27 10:00:01 mx1 sm-mta[12: x4RA01abc012345: to=<a@b>, stat=Sent");
	/* a queue ID and a broken field */
	check_bad (p, "Nov 27 10:00:01 mx1 sm-mta[1]: x4RA01abc012345: from=<alice@example.com, size=1, "
	              "class=0, nrcpts=1, relay=[192.0.2.55]");
	check_bad (p, "Nov 27 10:00:01 mx1 sm-mta[1]: x4RA01abc012345: from=, size=1, nrcpts=1");
	check_bad (p, "Nov 27 10:00:01 mx1 sm-mta[1]: x4RA01abc012345: to=<dave@remote.example, delay=00:00:01, "
	              "mailer=esmtp, dsn=2.0.0");
	check_bad (p, "Nov 27 10:00:01 mx1 sm-mta[1]: x4RA01abc012345: to=, delay=00:00:01, stat=Sent");
	check_bad (p, "Nov 27 10:00:01 mx1 sm-mta[1]: x4RA01abc012345: to=<dave@remote.example>, delay=00:00:01");
	check_bad (p, "Nov 27 10:00:01 mx1 sm-mta[1]: x4RA01abc012345: to=<dave@remote.example>, msgid=<x, stat=Sent");
	g_autofree char *huge = g_strnfill (NS_MAX_LOG_LINE + 1, 'x');
	memcpy (huge, "Nov 27 10:00:01 mx1 sm-mta[1]: x4RA01abc012345: to=<", 52);
	check_bad_code (p, huge, LOGPARSE_ERROR_TOO_LONG);
}

static void
test_long_line (void)
{
	/* The longest line allowed: thousands of recipients, no overrun. */
	g_autoptr (LogParser) p = parser (NULL);
	GString *s = g_string_new ("Nov 27 10:00:01 mx1 sm-mta[1]: x4RA01abc012345: to=");
	guint n = 0;
	while (s->len < NS_MAX_LOG_LINE - 40) {
		g_string_append (s, n ? ",<a@b>" : "<a@b>");
		n++;
	}
	g_string_append (s, ", dsn=2.0.0, stat=Sent");
	g_assert_cmpuint (s->len, <=, NS_MAX_LOG_LINE);
	Sink sk;
	sink_init (&sk);
	g_autoptr (GError) error = NULL;
	g_assert_true (logparse_line (p, s->str, s->len, record, &sk, &error));
	g_assert_cmpuint (sk.got->len, ==, n);
	sink_clear (&sk);
	/* a line of one-byte recipients fills the scratch buffer most */
	g_string_assign (s, "Nov 27 10:00:01 mx1 sm-mta[1]: x4RA01abc012345: to=");
	for (n = 0; s->len < NS_MAX_LOG_LINE - 40; n++)
		g_string_append (s, n ? ",a" : "a");
	g_string_append (s, ", stat=Sent");
	sink_init (&sk);
	g_assert_true (logparse_line (p, s->str, s->len, record, &sk, &error));
	g_assert_cmpuint (sk.got->len, ==, n);
	sink_clear (&sk);
	g_string_free (s, TRUE);
}

/* ---- detection, sample --------------------------------------------------- */

static void
test_detect (void)
{
	g_assert_true (logparse_sendmail_ops.detect (
	        "Nov 27 10:00:00 out kernel: [1.0] eth0 up\n"
	        "Nov 27 10:00:01 out sm-mta[2101]: x4RA01abc012345: from=<a@example.com>, relay=[192.0.2.5]\n"));
	g_assert_true (logparse_sendmail_ops.detect ("2026-11-27T10:00:01+00:00 out sm-msp-queue[1]: starting\r\n"));
	g_assert_true (logparse_sendmail_ops.detect ("Nov 27 10:00:01 out sendmail[1]: KAA12345: to=<a@b>, stat=Sent"));
	g_assert_false (logparse_sendmail_ops.detect (
	        "Nov 27 10:00:01 mx1 postfix/smtpd[123]: connect from unknown[203.0.113.5]\n"));
	g_assert_false (logparse_sendmail_ops.detect ("2026-11-27 10:00:01 1tGxyz-000123-AB Completed\n"));
	g_assert_false (logparse_sendmail_ops.detect (""));
	g_assert_cmpint (logparse_detect ("Nov 27 10:00:01 out sm-mta[1]: x4RA01abc012345: to=<a@b>, stat=Sent\n"),
	                 ==, LOG_FORMAT_SENDMAIL);
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
	g_autofree char *path = sample_path ("sendmail.log");
	g_autofree char *text = NULL;
	gsize size;
	if (!g_file_get_contents (path, &text, &size, NULL)) {
		g_test_skip ("sample log not found (set top_srcdir)");
		return;
	}
	g_assert_cmpint (logparse_detect (text), ==, LOG_FORMAT_SENDMAIL);
	g_autoptr (LogParser) p = parser (NULL);
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
	g_assert_cmpuint (counts[LOG_EVENT_MESSAGE_ID], >=, 5);
	g_assert_cmpuint (counts[LOG_EVENT_RECIPIENT], >=, 5);
	g_assert_cmpuint (counts[LOG_EVENT_DONE], ==, 0);
	g_assert_cmpuint (counts[LOG_EVENT_RECORD], ==, 0);
}

int
main (int argc, char **argv)
{
	g_setenv ("TZ", "UTC", TRUE);
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/logparse-sendmail/from/auth", test_from_auth);
	g_test_add_func ("/logparse-sendmail/from/local", test_from_local);
	g_test_add_func ("/logparse-sendmail/from/relay", test_from_relay);
	g_test_add_func ("/logparse-sendmail/to", test_to);
	g_test_add_func ("/logparse-sendmail/dsn", test_dsn);
	g_test_add_func ("/logparse-sendmail/no-event", test_no_event);
	g_test_add_func ("/logparse-sendmail/sequence/backscatter", test_sequence_backscatter);
	g_test_add_func ("/logparse-sendmail/sequence/submissions", test_sequence_submissions);
	g_test_add_func ("/logparse-sendmail/time", test_time);
	g_test_add_func ("/logparse-sendmail/central-syslog", test_central_syslog);
	g_test_add_func ("/logparse-sendmail/malformed", test_malformed);
	g_test_add_func ("/logparse-sendmail/long-line", test_long_line);
	g_test_add_func ("/logparse-sendmail/detect", test_detect);
	g_test_add_func ("/logparse-sendmail/sample", test_sample);
	return g_test_run ();
}
