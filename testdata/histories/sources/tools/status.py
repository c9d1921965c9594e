"""Corpus tool: the status of a service."""
import json
import sys

service = json.load(sys.stdin)["service"]
print({"vpn": "vpn: healthy", "mail": "mail: degraded"}[service])
