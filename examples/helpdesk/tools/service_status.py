#!/usr/bin/env python3
"""Example command tool: reads {"service": ...} on stdin, prints its status as JSON."""
import json
import sys

STATUS = {"vpn": "degraded since 09:12", "mail": "healthy", "printing": "healthy"}

args = json.load(sys.stdin)
service = args.get("service")
if service not in STATUS:
    print(f"unknown service {service!r}", file=sys.stderr)
    sys.exit(1)
print(json.dumps({"service": service, "status": STATUS[service]}))
