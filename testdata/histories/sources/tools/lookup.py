"""Corpus tool: looks a ticket up (arguments JSON on stdin, result on stdout)."""
import json
import sys

q = json.load(sys.stdin)["q"]
number = {"vpn": 1042, "mail": 2001, "printer": 3003}.get(q, 9000 + len(q))
print(f"T-{number} ({q}): open")
