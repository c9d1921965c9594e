"""Corpus tool: a backend that never answers in time (the tool's timeout is 300ms)."""
import time

time.sleep(10)
