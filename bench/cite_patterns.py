#!/usr/bin/env python3
"""Writes the default rules' cite patterns for the tools imrlint is compared with.

A reason is cited by its `pattern` cites and by the patterns of the concepts its `concept` cites
name (rules/reasons.yaml, rules/concepts.yaml). This writes them as a Semgrep rule file (one rule
per reason, `languages: [regex]`, case-insensitive, word-bounded like imrlint's) and as a plain
pattern file for `rg -f`.

usage: cite_patterns.py RULES_DIR SEMGREP_YAML RG_PATTERNS
"""

import os
import re
import sys

import yaml

WORD_END = re.compile(r"[0-9A-Za-z\])]$")
WORD_START = re.compile(r"^[0-9A-Za-z(\[]")


def bounded(pattern):
    start = r"\b" if WORD_START.search(pattern) else ""
    end = r"\b" if WORD_END.search(pattern) else ""
    return f"{start}(?:{pattern}){end}"


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    rules, semgrep_out, rg_out = sys.argv[1:]
    with open(os.path.join(rules, "reasons.yaml"), encoding="utf-8") as f:
        reasons = yaml.safe_load(f)["reasons"]
    with open(os.path.join(rules, "concepts.yaml"), encoding="utf-8") as f:
        concepts = {c["id"]: c.get("patterns", []) for c in yaml.safe_load(f)["concepts"]}
    semgrep_rules, all_patterns = [], []
    for reason in reasons:
        patterns = []
        for cite in reason.get("cites", []):
            if "pattern" in cite:
                patterns.append(cite["pattern"])
            elif "concept" in cite:
                patterns.extend(concepts.get(cite["concept"], []))
        if not patterns:
            continue
        patterns = [bounded(p) for p in patterns]
        all_patterns.extend(patterns)
        semgrep_rules.append(
            {
                "id": reason["id"],
                "languages": ["regex"],
                "severity": "INFO",
                "message": reason.get("title", reason["id"]),
                "pattern-either": [{"pattern-regex": "(?i)" + p} for p in patterns],
            }
        )
    with open(semgrep_out, "w", encoding="utf-8") as f:
        yaml.safe_dump({"rules": semgrep_rules}, f, sort_keys=False, width=1000)
    with open(rg_out, "w", encoding="utf-8") as f:
        f.write("\n".join(all_patterns) + "\n")
    print(f"{len(all_patterns)} patterns of {len(semgrep_rules)} reasons")


if __name__ == "__main__":
    main()
