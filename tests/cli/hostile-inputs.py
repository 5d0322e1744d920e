# hostile-inputs.py IN SLOW — writes the hostile messages of
# tests/cli/hostile.test (which says what each one is) into the directory
# IN, and those too slow to scan in a batch into SLOW. Also used by
# tests/cli/frontends.test.
import base64, os, sys
IN, SLOW = sys.argv[1], sys.argv[2]

def w(name, data, where=IN):
    with open(os.path.join(where, name), 'wb') as f:
        f.write(data)

B = b'BOUNDARY-ndr'
def top(subject=b'Undelivered Mail Returned to Sender'):
    return (b'Return-Path: <>\n'
            b'Received: from mx.example.net (mx.example.net [198.51.100.25])\n'
            b'\tby mx1.example.com (Postfix) with ESMTPS id 4Kr9Vc3RqNz6bT;\n'
            b'\tMon,  2 Nov 2026 09:15:31 +0000 (UTC)\n'
            b'Date: Mon,  2 Nov 2026 09:15:30 +0000 (UTC)\n'
            b'From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n'
            b'Subject: ' + subject + b'\n'
            b'To: alice@example.com\n'
            b'MIME-Version: 1.0\n'
            b'Content-Type: multipart/report; report-type=delivery-status;\n'
            b'\tboundary="' + B + b'"\n\n'
            b'This is a MIME-encapsulated message.\n\n')
TEXT = (b'This is the mail system at host mx.example.net.\n\n'
        b'<dave@example.net>: host mailstore.example.net said: 550 5.1.1 User unknown\n')
def status(recips=None, mta=b'mx.example.net'):
    if recips is None:
        recips = (b'Final-Recipient: rfc822; dave@example.net\nAction: failed\nStatus: 5.1.1\n'
                  b'Diagnostic-Code: smtp; 550 5.1.1 User unknown\n')
    return (b'Reporting-MTA: dns; ' + mta + b'\n'
            b'Arrival-Date: Mon,  2 Nov 2026 09:15:14 +0000 (UTC)\n\n' + recips)
ORIG = (b'Received: from out.example.com (out.example.com [192.0.2.11])\n'
        b'\tby mx.example.net (Postfix) with ESMTPS id 4Kr9Tt2Hq5z9pX;\n'
        b'\tMon,  2 Nov 2026 09:15:14 +0000 (UTC)\n'
        b'Message-ID: <orig-1@example.com>\n'
        b'Date: Mon, 2 Nov 2026 10:15:09 +0100\n'
        b'From: Alice Martin <alice@example.com>\n'
        b'To: dave@example.net\n'
        b'Subject: Agenda\n'
        b'Content-Type: text/plain; charset=UTF-8\n\n'
        b'Hi Dave,\nthe agenda.\n')
def part(ctype, body, extra=b''):
    return b'--' + B + b'\nContent-Type: ' + ctype + b'\n' + extra + b'\n' + body + b'\n'
def dsn(text=TEXT, st=None, orig=ORIG, orig_extra=b'', subject=None, tail=b''):
    m = top() if subject is None else top(subject)
    m += part(b'text/plain; charset=us-ascii', text)
    m += part(b'message/delivery-status', status() if st is None else st)
    if orig is not None:
        m += part(b'message/rfc822', orig, orig_extra)
    return m + tail + b'--' + B + b'--\n'

def qmail(quoted, own_extra=b'', intro=b''):
    return (b'Return-Path: <>\n'
            b'Received: (qmail 28714 invoked for bounce); 12 Nov 2026 17:22:05 -0000\n'
            b'Date: 12 Nov 2026 17:22:05 -0000\n'
            b'From: MAILER-DAEMON@mail.remote.example\n'
            b'To: alice@example.com\n' + own_extra +
            b'Subject: failure notice\n\n'
            b'Hi. This is the qmail-send program at mail.remote.example.\n'
            b"I'm afraid I wasn't able to deliver your message to the following addresses.\n\n" + intro +
            b'<lars@remote.example>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n'
            b'--- Below this line is a copy of the message.\n\n' + quoted)

# 1. truncated: mid-base64 of the message/rfc822 part, mid part header, mid top header
b64 = base64.encodebytes(ORIG + b'x' * 3000)
full = dsn(orig=b64, orig_extra=b'Content-Transfer-Encoding: base64\n')
w('01a-truncated-base64.eml', full[:full.index(b64) + len(b64) // 2 + 7])
w('01b-truncated-part-header.eml', full[:full.index(b'Content-Transfer-Encoding: base64') + 12])
w('01c-truncated-top-header.eml', full[:full.index(b'boundary="') + 5])

# 2. 1,000-deep message/rfc822; 3. 1,000-deep multipart/mixed, multipart/digest
#    (a digest's parts are message/rfc822 without a Content-Type line), and
#    20,000-deep multipart written "Content-Type :" (GMime takes the blank)
w('02-deep-rfc822.eml', dsn(orig=b'Content-Type: message/rfc822\n\n' * 1000 + ORIG))
def nested(n, fmt, inner, ct=b'Content-Type: '):
    return (b''.join((ct + fmt) % (k, k) for k in range(n)) + inner +
            b''.join(b'--n%d--\n' % k for k in reversed(range(n))))
mixed = nested(1000, b'multipart/mixed; boundary="n%d"\n\n--n%d\n', b'Content-Type: text/plain\n\ndeep\n')
w('03a-deep-multipart.eml', dsn(orig=None, tail=b'--' + B + b'\n' + mixed))
digest = nested(1000, b'multipart/digest; boundary="n%d"\n\n--n%d\n\n', b'Subject: deep\n\ndeep\n')
w('03b-deep-digest.eml', dsn(orig=None, tail=b'--' + B + b'\n' + digest))
spaced = nested(20000, b'multipart/mixed; boundary="n%d"\n\n--n%d\n', b'Content-Type: text/plain\n\ndeep\n',
                ct=b'Content-Type : ')
w('03c-deep-multipart-spaced.eml', dsn(orig=None, tail=b'--' + B + b'\n' + spaced))

# 4. a 10 MB Subject line: the bounce's, the original's; a 200 kB DSN field
big = b'A' * (10 * 1024 * 1024)
w('04a-long-subject-bounce.eml', dsn(subject=big))
w('04b-long-subject-original.eml', dsn(orig=ORIG.replace(b'Subject: Agenda', b'Subject: ' + big)))
w('04c-long-dsn-field.eml', dsn(st=status(recips=
    b'Final-Recipient: rfc822; dave@example.net\nAction: failed\nStatus: 5.1.1\n'
    b'Diagnostic-Code: smtp; 550 ' + b'B' * 200000 + b'\n' + b'\tC' * 20000 + b'\n')))

# 5. NUL bytes in headers and body; the Message-ID line has none
QUOTED = (b'Return-Path: <alice@example.com>\n'
          b'Received: (qmail 28709 invoked from network); 12 Nov 2026 17:22:04 -0000\n'
          b'Received: from unknown (HELO out.example.com) (203.0.113.140)\n'
          b'  by mail.remote.example with SMTP; 12 Nov 2026 17:22:04 -0000\n'
          b'From: "Alice\0 Martin" <alice@example.com>\n'
          b'Subject: Outstanding\0 invoice\n'
          b'Message-ID: <20261112172158.5A3F91C0@example.com>\n'
          b'To: <lars@remote.example>\n'
          b'Date: Thu, 12 Nov 2026 18:21:58 +0100\n\n'
          b'Hello,\0\0\0 pay\0 today\n')
w('05a-nul-inline.eml', qmail(QUOTED, own_extra=b'X-Junk: a\0b\0c\n', intro=b'\0\0 garbage \0\n'))
w('05b-nul-rfc822.eml', dsn(text=TEXT + b'\0\0\0\n', orig=QUOTED))

# 6. 100,000 Received lines in the quoted original
RCV = b''.join(b'Received: from h%d.example (h%d.example [192.0.2.%d]) by mx%d.example '
               b'with SMTP id i%d; Mon, 2 Nov 2026 09:15:14 +0000\n' % (k, k, k % 250 + 1, k, k)
               for k in range(100000))
w('06a-received-rfc822.eml', dsn(orig=RCV + ORIG))
w('06b-received-inline.eml', qmail(RCV + ORIG))

# 7. bad transfer encodings in the message/rfc822 part
bad = (b'!!!@@@###\n' + base64.encodebytes(ORIG)[:-3] + b'\n!!!@@@###\nQUJ\nQ\n=\n==\n===A\n' +
       b'A' * 1001 + b'\n')
w('07a-bad-base64.eml', dsn(orig=bad, orig_extra=b'Content-Transfer-Encoding: base64\n'))
w('07b-garbage-base64.eml', dsn(orig=b'!!!@@@###\n' * 1000 + b'QUJD\nQ',
                                orig_extra=b'Content-Transfer-Encoding: base64\n'))
w('07c-bad-qp.eml', dsn(orig=b'=\n=Z=ZZ=0' + b'=' * 5000 + b'\n' + ORIG,
                        orig_extra=b'Content-Transfer-Encoding: quoted-printable\n'))

# 8. a DSN whose text part is 50 MB (streamed)
with open(os.path.join(IN, '08-50mb.eml'), 'wb') as f:
    f.write(top() + b'--' + B + b'\nContent-Type: text/plain; charset=us-ascii\n\n' + TEXT)
    chunk = b'The quick brown fox jumps over the lazy dog 0123456789 lorem ipsum.\n' * 16384
    for _ in range(50 * 1024 * 1024 // len(chunk) + 1):
        f.write(chunk)
    f.write(part(b'message/delivery-status', status()) + part(b'message/rfc822', ORIG) +
            b'--' + B + b'--\n')

# 9. header injection: CR LF from encoded words, raw control characters
INJ = (b'Received: from out.example.com (out.example.com [192.0.2.11]) by mx.example.net '
       b'with ESMTP id x1; Mon, 2 Nov 2026 09:15:14 +0000\n'
       b'Message-ID: <inj\x01\x1b[31m\x7f\x08-1@example.com>\n'
       b'From: =?utf-8?q?Alice=0AX-Evil:_1?= <alice@example.com>\n'
       b'To: dave@example.net\n'
       b'Date: Mon, 2 Nov 2026 10:15:09 +0100\n'
       b'Subject: =?utf-8?q?x=0D=0AX-NDR-Verdict:_legit?=\n'
       b'X-Other: =?utf-8?b?' + base64.b64encode(b'a\r\nb\x00c\x1b[2Jd') + b'?=\n\nbody\n')
ST9 = status(recips=b'Final-Recipient: rfc822; =?utf-8?q?dave=0D=0A@example.net?=\n'
                    b'Action: failed\x1b[2J\nStatus: 5.1.1\x07\n'
                    b'Diagnostic-Code: smtp; 550 \x01\x02\x03\x1b]0;pwned\x07\n')
w('09a-inject-rfc822.eml', dsn(orig=INJ, st=ST9))
w('09b-inject-inline.eml', qmail(INJ))
w('09c-inject-base64.eml', dsn(orig=base64.encodebytes(INJ), orig_extra=b'Content-Transfer-Encoding: base64\n'))
# C1 controls (U+0080..U+009F; U+009B is CSI) from encoded words
w('09d-inject-c1.eml', dsn(orig=INJ.replace(b'Subject: =?utf-8?q?x=0D=0AX-NDR-Verdict:_legit?=',
                                            b'Subject: =?utf-8?q?x=C2=9B2J=C2=85y?= =?iso-8859-1?q?=9B31m?=')))

# 10. encoded-word bombs: 20,000 words; 20,000 broken ones
EW = b' '.join(b'=?utf-8?q?a=E2=82=AC?=' if k % 2 else b'=?iso-8859-1?b?4w==?=' for k in range(20000))
w('10a-ew-bomb-bounce.eml', dsn(subject=EW))
w('10b-ew-bomb-original.eml', dsn(orig=ORIG.replace(b'Subject: Agenda', b'Subject: ' + EW)
                                           .replace(b'From: Alice Martin', b'From: ' + EW)))
w('10c-ew-bomb-inline.eml', qmail(ORIG.replace(b'Subject: Agenda', b'Subject: ' + EW)))
w('10d-ew-broken.eml', dsn(orig=ORIG.replace(b'Subject: Agenda',
                                             b'Subject: ' + b'=?utf-8?q?=?utf-8?b?=?=' * 20000 + b'=?')))

# 11. invalid UTF-8 \xff\xfe\xc3\x28 in the original's From/Subject/Message-ID and the DSN fields
BAD = b'\xff\xfe\xc3\x28'
O11 = (b'Received: from out.example.com (out.example.com [192.0.2.11]) by mx.example.net '
       b'with ESMTP id x1; Mon, 2 Nov 2026 09:15:14 +0000\n'
       b'Message-ID: <bad' + BAD + b'@example.com>\n'
       b'From: Al' + BAD + b'ice <alice@example.com>\n'
       b'To: dave@example.net\n'
       b'Subject: Caf\xc3\xa9 inv' + BAD + b'oice\n\nbody ' + BAD + b'\n')
ST11 = status(mta=b'mx' + BAD + b'.example.net',
              recips=b'Final-Recipient: rfc822; da' + BAD + b've@example.net\nAction: fai' + BAD +
                     b'led\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 ' + BAD + b' unknown\n')
w('11a-bad-utf8-rfc822.eml', dsn(text=TEXT + BAD + b'\n', st=ST11, orig=O11, subject=b'Undelivered ' + BAD))
w('11b-bad-utf8-inline.eml', qmail(O11, own_extra=b'X-Bad: ' + BAD + b'\n'))
w('11c-bad-utf8-encoded-word.eml', dsn(st=ST11, orig=O11
    .replace(b'Subject: Caf\xc3\xa9 inv' + BAD + b'oice', b'Subject: =?utf-8?q?inv=FF=FE=C3=28oice?=')
    .replace(b'From: Al' + BAD + b'ice', b'From: =?utf-8?b?' + base64.b64encode(b'Al' + BAD + b'ice') + b'?=')))

# 12. nearly nothing
w('12a-empty.eml', b'')
w('12b-one-byte.eml', b'\n')
w('12c-two-bytes.eml', b'\r\n')
w('12d-from-line-only.eml', b'From ')

# 13. 10,000 DSN recipients: compact (within NS_MAX_DSN_BYTES) and full groups (1.2 MB)
w('13a-recipients-compact.eml', dsn(st=status(recips=b''.join(b'Final-Recipient:r%d\n' % k for k in range(10000)))))
w('13b-recipients-full.eml', dsn(st=status(recips=b''.join(
    b'Final-Recipient: rfc822; user%d@example.net\nAction: failed\nStatus: 5.1.1\n'
    b'Diagnostic-Code: smtp; 550 5.1.1 User unknown\n\n' % k for k in range(10000)))))

# 15. a multipart whose boundary never occurs and whose prologue is 150,000
#     distinct "--xN" lines: the lost-boundary search must stay linear
w('15-resniff-prologue.eml',
  b'From: MAILER-DAEMON@mx.example.net\nSubject: Undelivered Mail Returned to Sender\n'
  b'Content-Type: multipart/report; report-type=delivery-status; boundary="NEVER"\n\n' +
  b''.join(b'--u%07d\n' % k for k in range(150000)), SLOW)

# 16. two million empty parts (14 MB); 17. 500,000 parts of one field each;
#     18. one part whose header has a million fields. GMime builds every
#     part and field it reads, whatever the walk visits: 20 s and 2.8 GB
#     for 16 until the message was cut first.
w('16-many-parts.eml', top() + (b'--' + B + b'\n\nx\n') * 2000000, SLOW)
w('17-many-part-fields.eml', top() + (b'--' + B + b'\nX-A: b\n\nx\n') * 500000, SLOW)
w('18-huge-part-header.eml', top() + b'--' + B + b'\n' + b'X-A: b\n' * 1000000 + b'\nx\n--' + B + b'--\n', SLOW)
