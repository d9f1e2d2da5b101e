#!/usr/bin/env python3
"""stage_40 check: PHI known from the record (known_phi strings, given_phi spans).

usage: phi_known_check.py WORKDIR RC   (WORKDIR/known.out: sr deid --jsonl; known_only.out:
                                        the same with --phi-input only; RC its exit status)
"""
import json
import sys

w, rc = sys.argv[1], int(sys.argv[2])
out = {r["id"]: r for r in map(json.loads, open(w + "/known.out"))}
only = {r["id"]: r for r in map(json.loads, open(w + "/known_only.out"))}
t1 = out[1]["text"]
want1 = "Mrs [**NAME**] came with [**NAME**] and [**NAME**]. Chart [**MRN**]; ask [**NAME**]'s son."
ok = (t1 == want1 and out[2]["text"] == "[**DATE**] today. Plan: review." and "error" in out[3] and
      "beyond the text" in out[3]["error"] and rc == 1 and
      only[2]["spans"] == [{"start": 0, "end": 4, "type": "DATE", "source": "given"}] and only[1]["spans"] == [])
print(("PASS" if ok else "FAIL") + " phi-known: known_phi strings masked in any case, each part of a name, digits across "
      "separators; given_phi spans united (alone with --phi-input only); a 'phi' field is not read; a span beyond the "
      "text is an error record" + ("" if ok else ": %r / %r / %r / %r" % (t1, out[2].get("text"), out[3], only[2])))
