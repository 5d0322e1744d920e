#!/usr/bin/env python3
r"""quoted-msgids.py -- independent oracle: which Message-IDs does a bounce quote?

Usage: quoted-msgids.py [--pretty] PATH...

Python 3 standard library only.  Each PATH is a message file, or a directory
whose regular files are read recursively (sorted, dot-files skipped) as one
message each.  One JSON object per file is written to stdout, one per line:

  {"file": PATH, "quoted": [ID...], "where": [WHERE...], "rank": [RANK...],
   "first": ID|null, "expected": ID|null}

  quoted    every distinct Message-ID value found in the BODY of the bounce,
            in document order (first occurrence kept, duplicates dropped);
            values trimmed and unfolded, angle brackets kept as written
  where     parallel to quoted: where each was first seen, as a MIME part
            path, e.g. "1.3/message/rfc822:header", "1.1/text/plain:line 42"
            ("[sniffed]": see below; "[eml]": an attached .eml)
  rank      parallel to quoted: "structured" (a header field of an inner
            message, or a line of text/rfc822-headers), "inline" (a line of
            other decoded text), "relayed" (the header of a failure report
            that was only passed on, see below), "report" (a delivery-status
            or feedback-report field)
  first     quoted[0]: the first id in document order
  expected  the original's id, the message that failed: the first id of the
            best rank seen (structured, else inline, else report), or null
            when the best is "relayed" (a report passed on that quotes
            nothing further).  doc/design.md says a structured MIME part wins
            over inline text, so the oracle follows it.

A failure report passed on.  A quoted message with a body whose header is
a failure report's (Content-Type multipart/report, or a bouncer's From --
MAILER-DAEMON, postmaster, Mail Delivery System -- and a bouncer's Subject)
was forwarded, wrapped by a gateway or re-sent as text: its own id is
ranked "relayed", so the id of the message it quotes is expected.  Not so
in a bounce of a bounce, where the quoted report is the message that
failed: the enclosing message's delivery-status parts name one of its To
or Cc addresses (compared without case; one without a domain by its local
part) as a failed recipient.  An inline block is the run of field and
continuation lines around the Message-ID line ("> " quoting removed), with
text after it.
  error     only when the file could not be read or parsed (quoted is [])

What it checks.  The file is read as bytes; CRLF, then any lone CR, becomes
LF (so LF, CRLF and CR-only files parse alike); a leading mbox "From " line is
dropped; the rest is parsed with email.message_from_bytes(policy=compat32),
which tolerates junk.  The bounce's own top-level header block is never
looked at.  Everything else is walked in document (MIME) order:

  (a) the header block of every inner message -- message/rfc822,
      message/global, message/global-headers, message/partial, any other
      message/* part, at any depth, and attachments named *.eml (parsed as
      messages) -- each "Message-ID" field, any case.  The inner message's
      body is then walked the same way, so a bounce of a bounce yields the
      outer original first, then the one it quotes (see "relayed").  A message/* part that
      is base64 or quoted-printable encoded (illegal, but seen) is decoded
      and re-parsed.
  (b) every line of the decoded content (transfer encoding undone, bytes
      decoded with the part's charset, else UTF-8 with U+FFFD) of every
      other leaf part -- text/plain, text/rfc822-headers, text/html (tags
      stripped, entities unescaped), application/octet-stream, untyped --
      matching, case-insensitively,
          ^\s*(>\s*)*Message-Id:\s*(.*)
      The value continues on the next line when it is empty, or opens a '<'
      it does not close; that line's "> " quote prefix is dropped.
  (b') the header block of each MIME subpart ("part-header", ranked inline):
      some MTAs paste the original's header block as a part's MIME headers.
  (c) the fields of report parts (message/delivery-status, feedback-report,
      disposition-notification and their global- forms), as lines.
  A multipart whose declared boundary is missing or never used (seen in
  anonymised samples) is re-parsed with the boundary its parts really use
  (a "--X" line followed by a header line), marked "[sniffed]"; failing that
  its body is scanned as text.

Known limits.
  - A line matcher, not a bounce parser: it knows no MTA separators, so it
    also counts a Message-ID line that a bounce's prose, an SMTP transcript
    or a forwarded message's body happens to contain (they come later in
    document order, so "expected" is rarely affected), and it misses an
    original whose Message-ID line was mangled: wrapped without indentation,
    prefixed by anything but whitespace and '>', written "Message-ID :", in
    a table cell, or inside an encoded part of an inline-quoted original.
  - Values are taken as written: no RFC 5322 validation; comments and
    trailing junk are kept (consumers normalise before comparing).
  - image/*, audio/*, video/* parts and non-text leaf payloads holding NUL
    bytes are skipped; a charset Python does not know is read as UTF-8.
  - The boundary sniffing recovers structure that GMime will not see: where
    it was used, ndrsift sees inline text and may pick another id of the
    same file; measure.sh reports that as other-quoted, never as wrong.
  - A file is one message: an mbox holding several is read as one (its
    later "From " lines are body text).  measure.sh feeds it single-message
    files only.
  - compat32 and GMime split broken MIME (bad nesting, stray boundaries)
    differently; the ids found are the same, their order may differ.
"""

import email
import email.policy
import html
import json
import os
import re
import sys

MSGID_RE = re.compile(r"^\s*(?:>\s*)*message-id:\s*(.*)$", re.IGNORECASE)
QUOTE_PREFIX_RE = re.compile(r"^\s*(?:>\s*)*")
HEADER_RE = re.compile(r"^[!-9;-~]+:")
MIME_HEADER_RE = re.compile(r"^[A-Za-z0-9-]+:")
BOUNDARY_LINE_RE = re.compile(r"^--(\S{1,200}?)(?:--)?\s*$")
TAG_RE = re.compile(r"<[^>]*>")
BR_RE = re.compile(r"<\s*(?:br|/p|/div|/tr|p|div|tr)\b[^>]*>", re.IGNORECASE)

SKIP_MAINTYPES = ("image", "audio", "video")
ENCODED_CTES = ("base64", "quoted-printable")
# machine-readable report parts: their fields are about the original, but
# they are not the original's header block
REPORT_TYPES = ("message/delivery-status", "message/global-delivery-status",
                "message/feedback-report", "message/disposition-notification",
                "message/global-disposition-notification")
HEADER_TEXT_TYPES = ("text/rfc822-headers", "message/global-headers")

# where an id was seen, best first, for choosing "expected"
RANK_STRUCTURED = 0   # an inner message's header block, text/rfc822-headers
RANK_INLINE = 1       # a line of some other decoded text
RANK_RELAYED = 2      # the header of a failure report that was only passed on
RANK_REPORT = 3       # a field of a delivery-status / feedback-report block
RANK_NAMES = ("structured", "inline", "relayed", "report")

# a failure report, by its header: a multipart/report, or a bouncer's name
# and a bouncer's subject
BOUNCER_FROM_RE = re.compile(r"mailer-daemon|postmaster|mail delivery (sub)?system", re.IGNORECASE)
BOUNCER_SUBJECT_RE = re.compile(
    r"undeliver|returned mail|delivery (status|failure|has failed|notification)|failure notice"
    r"|delivery failed|non-?delivery|not (been )?delivered|could not be delivered", re.IGNORECASE)
FIELD_RE = re.compile(r"^([!-9;-~]+):[ \t]*(.*)$")
RECIPIENT_RE = re.compile(r"^\s*(?:final|original)-recipient:\s*[^;]*;\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def parse(data):
    return email.message_from_bytes(data, policy=email.policy.compat32)


def normalise_bytes(data):
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if data.startswith(b"From "):
        nl = data.find(b"\n")
        data = b"" if nl < 0 else data[nl + 1:]
    return data


def clean_str(s):
    """Turn surrogate-escaped bytes (compat32) into valid UTF-8 text."""
    if not isinstance(s, str):
        s = str(s)
    return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def unfold(value):
    value = clean_str(value)
    value = re.sub(r"\n[ \t]*", " ", value)
    return value.strip()


def unclosed(value):
    lt = value.rfind("<")
    return lt >= 0 and ">" not in value[lt:]


def decode_text(payload, part):
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    if charset:
        try:
            return payload.decode(charset, "replace")
        except (LookupError, UnicodeError, ValueError):
            pass
    return payload.decode("utf-8", "replace")


def raw_payload_bytes(part):
    """The part's body with its transfer encoding undone (bytes or None)."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if payload is None:
        raw = part.get_payload()
        if isinstance(raw, str):
            payload = raw.encode("utf-8", "surrogateescape")
    return payload


class Collector:
    def __init__(self):
        self.hits = []      # (value, where, rank) in document order

    def add(self, value, where, rank):
        value = unfold(value)
        if value:
            self.hits.append((value, where, rank))

    # (a) header fields of an inner message / (c) of a report block
    def headers(self, msg, where, rank):
        for name, value in msg.raw_items():
            if name.strip().lower() == "message-id":
                self.add(value, where, rank)

    # (b) lines of decoded text; rcpts: the failed recipients of the
    # message the text belongs to (see relayed)
    def lines(self, text, where, rank, rcpts=frozenset()):
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        n = len(lines)
        i = 0
        while i < n:
            m = MSGID_RE.match(lines[i])
            if not m:
                i += 1
                continue
            value = m.group(1).strip()
            lineno = i + 1
            j = i + 1
            # folded value: empty after the colon, or an unclosed '<'
            while j < n and j - i <= 3 and (not value or unclosed(value)):
                nxt = QUOTE_PREFIX_RE.sub("", lines[j]).strip()
                if not nxt or HEADER_RE.match(nxt):
                    break
                value = (value + " " + nxt) if value else nxt
                j += 1
            r = rank
            if rank == RANK_INLINE:
                fields, body_follows = block_around(lines, i)
                if body_follows and relayed(fields.get, rcpts):
                    r = RANK_RELAYED
            self.add(value, "%s:line %d" % (where, lineno), r)
            i = j

    def result(self):
        quoted, where, ranks, seen = [], [], [], set()
        for value, w, rank in self.hits:
            if value not in seen:
                seen.add(value)
                quoted.append(value)
                where.append(w)
                ranks.append(RANK_NAMES[rank])
        best = min(self.hits, key=lambda h: h[2]) if self.hits else None
        # a report passed on that quotes nothing further: no original
        if best and best[2] == RANK_RELAYED:
            best = None
        return quoted, where, ranks, (best[0] if best else None)


def unquote_line(line):
    return re.sub(r"^(?:>[ ]?)*", "", line)


def block_around(lines, i):
    """The header block that line i belongs to (lines with the same quoting
    that are fields or folded continuations): its fields (first value of
    each name, lower-cased names) and whether text follows it."""
    def member(line):
        u = unquote_line(line)
        return u.strip() != "" and (FIELD_RE.match(u) is not None or u[:1] in (" ", "\t"))
    a = i
    while a > 0 and member(lines[a - 1]):
        a -= 1
    b = i
    while b + 1 < len(lines) and member(lines[b + 1]):
        b += 1
    fields, name = {}, None
    for line in lines[a:b + 1]:
        u = unquote_line(line)
        m = FIELD_RE.match(u)
        if m and u[:1] not in (" ", "\t"):
            name = m.group(1).lower()
            if name not in fields:
                fields[name] = m.group(2)
            else:
                name = None
        elif name:
            fields[name] += " " + u.strip()
    body_follows = any(unquote_line(l).strip() for l in lines[b + 1:])
    return fields, body_follows


def addresses(value):
    import email.utils
    return {a.lower() for _, a in email.utils.getaddresses([value or ""]) if a}


def relayed(get, rcpts):
    """Whether a quoted message with these header fields is a failure
    report that was only passed on (forwarded, wrapped by a gateway,
    re-sent as text): the message that failed is then the original it
    quotes.  Not when the enclosing message reports the failure of the
    quoted report itself (a bounce of a bounce: one of its failed
    recipients is a recipient of the quoted report; a recipient without a
    domain compares by its local part)."""
    ct = (get("content-type") or "").strip().lower()
    if not (ct.startswith("multipart/report") or
            (BOUNCER_FROM_RE.search(get("from") or "") and BOUNCER_SUBJECT_RE.search(get("subject") or ""))):
        return False
    for a in addresses(get("to")) | addresses(get("cc")):
        if a in rcpts or ("@" not in a and any(r.split("@")[0] == a for r in rcpts)):
            return False
    return True


def report_recipients(msg, depth=0):
    """The Final-/Original-Recipient addresses of the delivery-status parts
    of msg itself (not of the messages it quotes)."""
    found = set()
    if depth > 50:
        return found
    ctype = msg.get_content_type()
    if msg.get_content_maintype() == "multipart" and isinstance(msg.get_payload(), list):
        for sub in msg.get_payload():
            found |= report_recipients(sub, depth + 1)
    elif ctype in ("message/delivery-status", "message/global-delivery-status"):
        found |= {m.lower() for m in RECIPIENT_RE.findall(report_text(msg))}
    return found


def load_inner(part):
    """The message carried by a message/* part (an encoded one is decoded and re-parsed)."""
    cte = (part.get("Content-Transfer-Encoding") or "").strip().lower()
    payload = part.get_payload()
    if cte in ENCODED_CTES:
        raw = None
        if isinstance(payload, list) and payload:
            # the email package parsed the encoded text as a message: undo that
            text = payload[0].as_bytes()
            try:
                if cte == "base64":
                    import base64
                    raw = base64.b64decode(b"".join(text.split()), validate=False)
                else:
                    import quopri
                    raw = quopri.decodestring(text)
            except Exception:
                raw = None
        elif isinstance(payload, str):
            raw = raw_payload_bytes(part)
        if raw:
            return parse(normalise_bytes(raw))
    if isinstance(payload, list):
        return payload[0] if payload else None
    if isinstance(payload, str) and payload.strip():
        return parse(normalise_bytes(payload.encode("utf-8", "surrogateescape")))
    return None


def sniff_multipart(body):
    """A multipart whose declared boundary is missing or wrong: find the
    boundary the parts really use (a "--X" line followed by a header line)
    and re-parse; None when there is none."""
    lines = body.split(b"\n")
    for k, line in enumerate(lines[:-1]):
        m = BOUNDARY_LINE_RE.match(line.decode("ascii", "replace"))
        if m and MIME_HEADER_RE.match(lines[k + 1].decode("ascii", "replace")):
            boundary = m.group(1).encode("ascii", "replace")
            if b'"' in boundary:
                return None
            msg = parse(b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\n\n' + body)
            if msg.is_multipart() and isinstance(msg.get_payload(), list) and msg.get_payload():
                return msg
            return None
    return None


def part_filename(part):
    try:
        fn = part.get_filename()
    except Exception:
        fn = None
    return clean_str(fn) if fn else ""


def report_text(part):
    payload = part.get_payload()
    if isinstance(payload, list):
        chunks = []
        for block in payload:
            try:
                chunks.append(clean_str(block.as_string()))
            except Exception:
                pass
        return "\n".join(chunks)
    data = raw_payload_bytes(part)
    return data.decode("utf-8", "replace") if data else ""


def walk_body(msg, col, path, depth=0, rcpts=None):
    """Walk the body of msg (never its own header block); rcpts: the
    failed recipients msg reports (computed when None)."""
    if rcpts is None:
        rcpts = report_recipients(msg)
    if depth > 50:
        return
    ctype = msg.get_content_type()
    maintype = msg.get_content_maintype()

    if maintype == "multipart":
        payload = msg.get_payload()
        if msg.is_multipart() and isinstance(payload, list):
            for k, sub in enumerate(payload, 1):
                # a subpart's own header block is in the bounce's body too;
                # it holds a Message-ID only when an MTA pasted the original's
                # header block there without MIME headers of its own
                col.headers(sub, "%s.%d:part-header" % (path, k), RANK_INLINE)
                walk_body(sub, col, "%s.%d" % (path, k), depth + 1, rcpts)
            return
        body = raw_payload_bytes(msg)
        if body:
            sniffed = sniff_multipart(body)
            if sniffed is not None:
                walk_body(sniffed, col, path + "[sniffed]", depth + 1)
                return
        # no usable structure: fall through and scan it as text

    elif ctype in REPORT_TYPES:
        col.lines(report_text(msg), "%s/%s" % (path, ctype), RANK_REPORT)
        return

    elif ctype in HEADER_TEXT_TYPES:
        data = raw_payload_bytes(msg)
        if isinstance(msg.get_payload(), list):
            inner = msg.get_payload()[0] if msg.get_payload() else None
            if inner is not None:
                col.headers(inner, "%s/%s:header" % (path, ctype), RANK_STRUCTURED)
            return
        if data:
            col.lines(decode_text(data, msg), "%s/%s" % (path, ctype), RANK_STRUCTURED)
        return

    elif maintype == "message":
        inner = load_inner(msg)
        if inner is not None:
            walk_message(inner, col, "%s/%s" % (path, ctype), depth + 1, rcpts)
        return

    elif maintype in SKIP_MAINTYPES:
        return

    payload = raw_payload_bytes(msg)
    if not payload or (b"\0" in payload and maintype != "text"):
        return
    if part_filename(msg).lower().endswith(".eml"):
        walk_message(parse(normalise_bytes(payload)), col, "%s/%s[eml]" % (path, ctype), depth + 1, rcpts)
        return
    text = decode_text(payload, msg)
    if ctype == "text/html":
        text = html.unescape(TAG_RE.sub("", BR_RE.sub("\n", text)))
    col.lines(text, "%s/%s" % (path, ctype), RANK_INLINE, rcpts)


def walk_message(inner, col, path, depth, rcpts=frozenset()):
    """An inner (quoted) message: its header block, then its body; rcpts:
    the failed recipients of the message that quotes it."""
    payload = inner.get_payload()
    has_body = bool(payload) if isinstance(payload, list) else bool((payload or "").strip())
    rank = RANK_RELAYED if has_body and relayed(inner.get, rcpts) else RANK_STRUCTURED
    col.headers(inner, path + ":header", rank)
    walk_body(inner, col, path, depth)


def scan_file(path):
    rec = {"file": path, "quoted": [], "where": [], "rank": [], "first": None, "expected": None}
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        rec["error"] = str(e)
        return rec
    try:
        col = Collector()
        walk_body(parse(normalise_bytes(data)), col, "1")
        quoted, where, ranks, expected = col.result()
    except Exception as e:  # the oracle must never die on junk
        rec["error"] = "%s: %s" % (type(e).__name__, e)
        return rec
    rec.update(quoted=quoted, where=where, rank=ranks,
               first=quoted[0] if quoted else None, expected=expected)
    return rec


def iter_files(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    full = os.path.join(root, f)
                    if not f.startswith(".") and os.path.isfile(full):
                        yield full
        else:
            yield p


def main(argv):
    pretty = False
    args = []
    for a in argv[1:]:
        if a == "--pretty":
            pretty = True
        elif a in ("-h", "--help"):
            sys.stdout.write(__doc__)
            return 0
        else:
            args.append(a)
    if not args:
        sys.stderr.write("usage: quoted-msgids.py [--pretty] PATH...\n")
        return 2
    for f in iter_files(args):
        rec = scan_file(f)
        sys.stdout.write(json.dumps(rec, ensure_ascii=False, indent=2 if pretty else None) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
