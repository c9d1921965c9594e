"""Corpus tool: restarts a service (runs only after a human approved)."""
import json
import sys

print("restarted " + json.load(sys.stdin)["service"])
