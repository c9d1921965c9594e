#!/usr/bin/env python3
"""Example command tool with a side effect. The runtime passes AGENTRT_IDEMPOTENCY_KEY so a
repeated call (after a crash) is recognised: a real tool would store the key with the effect."""
import json
import os
import sys

args = json.load(sys.stdin)
key = os.environ.get("AGENTRT_IDEMPOTENCY_KEY", "")
print(json.dumps({"service": args.get("service"), "restarted": True, "idempotency_key": key}))
