"""Audited devices in, remediation and rollback commands out; the guard, predictions, approvals,
reports."""
