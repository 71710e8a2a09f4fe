"""Benchmark scripts: each measures against a baseline taken in the same run (docs/benchmarks.md)."""
