"""The change itself: windows, locks, the per-device state machine, recovery, run reports."""
