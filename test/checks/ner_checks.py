#!/usr/bin/env python3
"""ner_checks.py - stage 50's check of `sr deid --phi-model` (stdlib only).

  ner_checks.py phi-model RULES.jsonl MODEL.jsonl RC_RULES RC_MODEL
      RULES: `sr deid --jsonl` of the stage's two records (the rules alone), MODEL: the
      same with --phi-model (exit statuses RC_RULES, RC_MODEL): both exit 0, every span
      of the rules-only run lies inside a span of the model run, and some span's source
      is "model:..."; prints one PASS or FAIL line
"""
import json
import sys


def phi_model(argv):
    rules = [json.loads(l) for l in open(argv[1])]
    model = [json.loads(l) for l in open(argv[2])]
    ok = argv[3] == "0" and argv[4] == "0" and len(rules) == len(model) == 2
    covered = ok and all(any(m["start"] <= r["start"] and r["end"] <= m["end"] for m in mo["spans"])
                         for ru, mo in zip(rules, model) for r in ru["spans"])
    from_model = ok and any(s["source"].startswith("model:") for mo in model for s in mo["spans"])
    if ok and covered and from_model:
        print("PASS deid --phi-model: rules' spans all kept, the model adds its own (%d vs %d spans)"
              % (sum(len(m["spans"]) for m in model), sum(len(r["spans"]) for r in rules)))
    else:
        print("FAIL deid --phi-model: exit %s/%s, covered=%s, model spans=%s" % (argv[3], argv[4], covered, from_model))


COMMANDS = {"phi-model": phi_model}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[1:])
