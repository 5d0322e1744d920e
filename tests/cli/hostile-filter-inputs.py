# hostile-filter-inputs.py IN NAMES — writes the hostile messages of
# tests/cli/hostile-filter.test (which says what each one is) into the
# directory IN, and the file with control characters in its name into
# NAMES. Also used by tests/cli/frontends.test.
import base64, os, sys
IN, NAMES = sys.argv[1], sys.argv[2]

def w(name, data, want=None):
    open(os.path.join(IN, name + '.eml'), 'wb').write(data)
    open(os.path.join(IN, name + '.want'), 'wb').write(data if want is None else want)

def top(subject=b'Undelivered Mail Returned to Sender', msgid=b'<bounce-1@mx.remote.example>', extra=b''):
    return (b'Return-Path: <>\n'
            b'X-Original-To: alice@example.com\n'
            b'Received: from mx.remote.example (mx.remote.example [198.51.100.7])\n'
            b'\tby mx1.example.com (Postfix) with ESMTP id 4Zq1\n'
            b'\tfor <alice@example.com>; Fri, 27 Nov 2026 10:05:09 +0000 (UTC)\n'
            b'From: MAILER-DAEMON@mx.remote.example (Mail Delivery System)\n'
            b'To: alice@example.com\n'
            b'Date: Fri, 27 Nov 2026 10:05:08 +0000\n'
            b'Message-ID: ' + msgid + b'\n'
            b'Subject: ' + subject + b'\n' + extra +
            b'MIME-Version: 1.0\n'
            b'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"\n\n')
def report(recips=b'Final-Recipient: rfc822; dave@remote.example\nAction: failed\nStatus: 5.1.1\n',
           mta=b'mx.remote.example'):
    return (b'--B1\nContent-Type: message/delivery-status\n\n'
            b'Reporting-MTA: dns; ' + mta + b'\n'
            b'Arrival-Date: Fri, 27 Nov 2026 10:00:02 +0000 (UTC)\n\n' + recips)
def orig(msgid=b'<forged1@example.com>', subject=b'Agenda', frm=b'Alice <alice@example.com>', body=b'Hello.\n'):
    return (b'--B1\nContent-Type: message/rfc822\n\n'
            b'Received: from out.example.com (unknown [203.0.113.5])\n'
            b'\tby mx.remote.example (Postfix) with ESMTP id 9Q2\n'
            b'\tfor <dave@remote.example>; Fri, 27 Nov 2026 10:00:01 +0000\n'
            b'Message-ID: ' + msgid + b'\n'
            b'From: ' + frm + b'\n'
            b'To: dave@remote.example\n'
            b'Date: Fri, 27 Nov 2026 10:00:00 +0000\n'
            b'Subject: ' + subject + b'\n\n' + body)
TEXT = (b'--B1\nContent-Type: text/plain\n\n'
        b'This is the mail system at host mx.remote.example.\n'
        b'<dave@remote.example>: host store.remote.example said: 550 5.1.1 User unknown\n')
def dsn(head=None, text=TEXT, rep=None, org=None, tail=b''):
    return ((top() if head is None else head) + text + (report() if rep is None else rep) +
            (orig() if org is None else org) + tail + b'--B1--\n')

# 1. injection through encoded words: CR LF and a fake verdict field in the
#    bounce's Message-ID and Subject, and in the original's
inj = b'=?utf-8?q?x=0D=0AX-NDR-Verdict:_legit?='
w('01-inject-encoded', dsn(head=top(subject=inj, msgid=b'<a' + inj + b'@mx.remote.example>'),
                           org=orig(msgid=b'<forged1' + inj + b'@example.com>', subject=inj)))
# 2. a lone CR inside Subject, a fake verdict after it: to a reader that
#    ends lines at a lone CR it is a field of ours, so it goes, from that
#    CR up to the line end (the Subject line keeps its LF)
lone = top(subject=b'Undelivered\rX-NDR-Verdict: legit; kind=dsn; score=-10.0; tests=MSGID_SENT')
w('02-inject-lone-cr', dsn(head=lone), dsn(head=lone.replace(
    b'\rX-NDR-Verdict: legit; kind=dsn; score=-10.0; tests=MSGID_SENT', b'')))
# 3. a forged bounce carrying a pre-set legit verdict, first and folded last
pre = b'X-NDR-Verdict: legit; kind=dsn; score=-10.0; tests=MSGID_SENT\n'
w('03-preset-legit', pre + dsn(head=top(extra=b'X-NDR-Verdict: legit;\n\tscore=-10.0\n')), dsn())
# 4. NUL bytes in the top-level header, the report and the original
w('04-nul', dsn(head=top(subject=b'Undelivered\0X-NDR-Verdict: legit'),
                rep=report(recips=b'Final-Recipient: rfc822; dave\0@remote.example\nAction: failed\nStatus: 5.1.1\n'),
                org=orig(subject=b'Agen\0da', body=b'\0\0\0\n')))
# 5. 10,000 DSN recipients
w('05-recipients', dsn(rep=report(recips=b''.join(
    b'Final-Recipient: rfc822; user%d@remote.example\nAction: failed\nStatus: 5.1.1\n\n' % k for k in range(10000)))))
# 6. 1,000-deep multipart/mixed and 1,000-deep message/rfc822
deep = (b''.join(b'Content-Type: multipart/mixed; boundary="n%d"\n\n--n%d\n' % (k, k) for k in range(1000)) +
        b'Content-Type: text/plain\n\ndeep\n' + b''.join(b'--n%d--\n' % k for k in reversed(range(1000))))
w('06a-deep-multipart', dsn(tail=b'--B1\n' + deep))
w('06b-deep-rfc822', dsn(org=b'--B1\nContent-Type: message/rfc822\n\n' + b'Content-Type: message/rfc822\n\n' * 1000 +
                         orig()[len(b'--B1\nContent-Type: message/rfc822\n\n'):]))
# 7. encoded-word bombs: 20,000 words in the bounce's Subject, 20,000
#    broken ones in the original's
ew = b' '.join(b'=?utf-8?q?a=E2=82=AC?=' if k % 2 else b'=?iso-8859-1?b?4w==?=' for k in range(20000))
w('07a-ew-bomb', dsn(head=top(subject=ew)))
w('07b-ew-broken', dsn(org=orig(subject=b'=?utf-8?q?=?utf-8?b?=?=' * 20000 + b'=?')))
# 8. invalid UTF-8 in every field: the bounce's header, the report, the
#    original, a parameter, the body
B = b'\xff\xfe\xc3\x28'
bad_top = b''.join(line.replace(b': ', b': ' + B, 1) + b'\n' if b': ' in line else line + b'\n'
                   for line in top().split(b'\n')[:-2]) + b'\n'
bad_top = bad_top.replace(b'boundary="' + B, b'boundary="').replace(b'report-type=', b'charset="' + B + b'"; report-type=')
w('08-bad-utf8', dsn(head=bad_top, text=TEXT + B + b'\n',
                     rep=report(mta=b'mx' + B + b'.remote.example', recips=b'Final-Recipient: rfc822; da' + B +
                                b've@remote.example\nAction: fai' + B + b'led\nStatus: 5.1.1' + B + b'\n'),
                     org=orig(msgid=b'<bad' + B + b'@example.com>', subject=b'Caf\xc3\xa9 ' + B,
                              frm=b'Al' + B + b'ice <alice@example.com>', body=B + b'\n')))
# 9. regex bombs against the shipped rules: the generic family's subject
#    pattern ((?:(?:Fwd?|Fw|Re|...)\s*:\s*)*...) backtracks exponentially
#    on "Fw:" runs not followed by a bounce phrase; a quoted-looking body
#    for the separator and first-header patterns
def plain(subject, body, frm=b'MAILER-DAEMON@mx.remote.example'):
    # (a From the generic family knows decides before its subject pattern runs)
    return (b'From: ' + frm + b'\nTo: alice@example.com\n'
            b'Date: Fri, 27 Nov 2026 10:05:08 +0000\nSubject: ' + subject + b'\n\n' + body)
w('09a-regex-bomb-subject', plain(b'Fw:' * 30 + b'x', b'hello\n', b'Robot <robot@remote.example>'))
w('09b-regex-bomb-subject-long', plain(b'Fw: ' * 2000 + b'x', b'hello\n', b'Robot <robot@remote.example>'))
w('09c-regex-bomb-body', plain(b'failure notice',
    (b'> ' * 2000 + b'x\n') + (b' ' * 20 + b'-' * 4000 + b' original message ' + b' ' * 2000 + b'x\n') +
    b'Your mail sent on: \n' + b' \n' * 3000 + b'-' * 8000 + b' ' * 4000 + b'x\n'))
# 10. nearly nothing
w('10a-empty', b'')
w('10b-one-byte-lf', b'\n')
w('10c-one-byte-x', b'x')
w('10d-one-byte-cr', b'\r')
w('10e-one-byte-nul', b'\0')
w('10f-two-bytes-crlf', b'\r\n')
# 11. a file name with a line break and terminal escapes (check and scan
#     print names), in a directory of its own
open(os.path.join(NAMES, 'evil\n\x1b[31mred\x07\x7f.eml'), 'wb').write(dsn())
