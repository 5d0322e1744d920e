# sentlog_plain — a test's view of a sent log, which keeps digests of
# Message-IDs and recipients, not their text (include/ndrsift/sentlog.h
# "Privacy"): connect(DB, DIR) opens DB read-only with temporary views
# `messages` and `recipients` (temp comes first) that show each digest as
# the text it was made of, when that text is found in a file of DIR (the
# logs the test wrote, .gz ones too) -- else "?" and the digest in hex. The tests' queries
# read as they did when the file held text. Files over 8 MB are not read.
import gzip
import hashlib
import os
import re
import sqlite3

KEY_LEN, PAIR_KEY_LEN = 8, 6


def key(text, recipient=None):
    data = text.encode()
    if recipient is None:
        return hashlib.sha256(data).digest()[:KEY_LEN]
    data += b"\0" + recipient.encode()
    return hashlib.sha256(data).digest()[:PAIR_KEY_LEN]


def normal(value):
    # msgid_normalise and address_normalise for the plain values tests use:
    # no brackets, the domain in lower case
    value = value.strip().strip("<>")
    local, at, domain = value.rpartition("@")
    return local + at + domain.lower() if at else value


def candidates(directory):
    found = set()
    for root, _, files in os.walk(directory):
        for name in files:
            path = os.path.join(root, name)
            try:
                if os.path.getsize(path) > 8 << 20:
                    continue
                with open(path, "rb") as f:
                    data = f.read()
                if name.endswith(".gz"):
                    data = gzip.decompress(data)
            except (OSError, EOFError):
                continue
            if b"\0" in data:
                continue  # a database, a binary
            for word in re.split(r'[\s<>"(),;:=\[\]\\]+', data.decode("utf-8", "replace")):
                if "@" in word:
                    found.add(normal(word))
    return found


def connect(db, directory):
    c = sqlite3.connect("file:" + db + "?mode=ro", uri=True, timeout=30)
    tables = {r[0] for r in c.execute("SELECT name FROM sqlite_schema")}
    if "senders" not in tables:
        return c
    senders = [r[0] for r in c.execute("SELECT address FROM senders")] + [""]
    plain = None

    def lookup(b):
        # the directory is read at the first digest shown, not at connect:
        # a count or a PRAGMA needs none of it
        nonlocal plain
        if b is None:
            return None
        if plain is None:
            plain = {}
            for w in candidates(directory):
                plain[key(w)] = w
                for s in senders:
                    plain[key(s, w)] = w
        return plain.get(bytes(b), "?" + bytes(b).hex())

    c.create_function("plain", 1, lookup)
    c.executescript("""
CREATE TEMP VIEW messages AS SELECT m.id, m.time, m.server, m.queue_id, plain (m.message_id) AS message_id,
  p.address AS sender, m.origin, m.open FROM main.messages m LEFT JOIN main.senders p ON p.id = m.sender;
CREATE TEMP VIEW recipients AS SELECT message, plain (pair) AS address FROM main.recipients;
""")
    return c
