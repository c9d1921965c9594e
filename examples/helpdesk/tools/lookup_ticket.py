#!/usr/bin/env python3
"""Example command tool: reads {"q": ...} on stdin, prints matching tickets as JSON."""
import json
import sys

TICKETS = [
    {"id": "T-1042", "title": "VPN drops every few minutes", "status": "open"},
    {"id": "T-1017", "title": "Printer on floor 3 jams", "status": "closed"},
]

args = json.load(sys.stdin)
q = str(args.get("q", "")).lower()
print(json.dumps([t for t in TICKETS if q in t["title"].lower()]))
