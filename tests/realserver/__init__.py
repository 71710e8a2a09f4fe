"""The real-server store lane: a MongoDB wire-protocol server for the tests (see lane.py)."""
