"""Benchmarks, run by commands (`make bench`); results go in the README."""
