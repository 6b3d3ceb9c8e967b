#!/usr/bin/python3
# Dogtag's shipped estauthz (base/est/bin/estauthz), with the role its CI uses.
import json
import sys

ALLOWED_ROLE = 'estclient'

obj = json.loads(sys.stdin.read())
if ALLOWED_ROLE not in obj['authzData']['principal']['roles']:
    print(f"Principal does not have required role {ALLOWED_ROLE!r}")
    sys.exit(1)
