"""Configuration and `show version` text in, typed facts out: pure functions."""
