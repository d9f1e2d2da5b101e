#!/usr/bin/env python3
"""stage_40 check: every source a PHI rule marks ("rule:..." / "lexicon:..." in phi.c) has
a row in the one table of rules (phi_rules), so --explain can give its reason.

usage: phi_table_check.py phi.c
"""
import re
import sys

s = open(sys.argv[1], encoding="utf-8").read()
used = set(re.findall(r'"((?:rule|lexicon):[a-z0-9-]+)"', s))
table = s[s.index("static const PhiRule phi_rules[]"):]
table = set(re.findall(r'"((?:rule|lexicon):[a-z0-9-]+)"', table[:table.index("};")]))
missing = sorted(used - table)
print(("PASS" if not missing else "FAIL") + " phi-rule-table: every source a rule marks has a row in phi_rules (%d sources)%s" %
      (len(used), "" if not missing else "; missing: " + ", ".join(missing)))
