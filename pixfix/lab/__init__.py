"""The simulated firewall fleet: real SSH and telnet servers in one asyncio process.

Each device is a `Device` (state: running and startup configuration per context, counters,
failover role, faults) driven by a `CliSession` per connection, which answers the way the
software train does (prompts, paging, errors, save and reload dialogues). Every device also has
an SMTP endpoint whose Mailguard emulation follows the device's live configuration.
"""
