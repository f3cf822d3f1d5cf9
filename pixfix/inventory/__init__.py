"""Inventories: load and validate the native, Ansible and Nornir formats; credentials; `--limit`."""
