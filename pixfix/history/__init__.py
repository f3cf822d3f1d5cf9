"""Compliance over time: audits kept in a SQLite database, the difference between two of them
(regressions), each device's timeline, and the fleet dashboard (`pixfix history`, `pixfix
report`, `pixfix audit --history DB --since last`)."""
