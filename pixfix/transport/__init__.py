"""The only package that talks to devices over netmiko and paramiko: sessions, host keys, limits,
errors."""
