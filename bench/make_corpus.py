#!/usr/bin/env python3
"""Makes a benchmark corpus of N letters by recombining real ones.

Each output letter starts from a source letter (cases/ and ../shared/corpus/text when present),
gets a new case number and file name, has its disputed items shuffled, and has every date shifted
by the same random number of days, so that intervals between dates (weeks of use, time since the
injury) stay what the letter says. The result is deterministic for a given seed.

usage: make_corpus.py N OUT_DIR SOURCE_DIR [SOURCE_DIR ...]
"""

import datetime
import os
import random
import re
import sys

DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
CASE_NUMBER = re.compile(r"\b(CM|IMR)(\d{2})-(\d{5,10})\b")
# A disputed item's heading: `EMG/NCV of the lower extremities: Upheld`.
ITEM_HEADING = re.compile(r"^[^\n]{3,200}?:\s*(?:Upheld|Overturned)\s*$", re.MULTILINE)


def shift_dates(text, days):
    def shifted(m):
        month, day, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        try:
            d = datetime.date(year, month, day) + datetime.timedelta(days=days)
        except ValueError:
            return m.group(0)
        return f"{d.month:02d}/{d.day:02d}/{d.year}"

    return DATE.sub(shifted, text)


def shuffle_items(text, rng):
    starts = [m.start() for m in ITEM_HEADING.finditer(text)]
    if len(starts) < 2:
        return text
    head = text[: starts[0]]
    blocks = [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]
    # The last block carries the letter's end; keep it last so the letter still ends as it did.
    body, last = blocks[:-1], blocks[-1]
    rng.shuffle(body)
    blocks = body + [last] if rng.random() < 0.5 else [last.rstrip() + "\n\n"] + body
    return head + "".join(blocks)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    count, out = int(sys.argv[1]), sys.argv[2]
    sources = []
    for folder in sys.argv[3:]:
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if name.endswith(".txt"):
                with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as f:
                    sources.append(f.read())
    if not sources:
        sys.exit("no source letters (.txt) found in " + " ".join(sys.argv[3:]))
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20261122)
    total = 0
    for i in range(count):
        letter = sources[i % len(sources)] if i < len(sources) else rng.choice(sources)
        letter = shuffle_items(letter, rng)
        letter = shift_dates(letter, rng.randint(-900, 900))
        number = f"{rng.randint(0, 9999999):07d}"
        letter = CASE_NUMBER.sub(lambda m: f"{m.group(1)}{m.group(2)}-{number}", letter)
        path = os.path.join(out, f"letter-{i:06d}.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(letter)
        total += len(letter.encode("utf-8"))
    print(f"{count} letters, {total} bytes, from {len(sources)} sources, in {out}")


if __name__ == "__main__":
    main()
