"""The SMTP probe: socket I/O at the edge, a pure classifier, and the probe-versus-config rules."""
