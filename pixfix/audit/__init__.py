"""Facts in, a verdict per device out; live collection; the audit report formats."""
