"""Deployment templates: the Mosquitto broker's config and ACL (README.md: accounts, TLS), and
an example server config (`server.example.toml`).

`mosquitto_config.render()` fills `mosquitto.conf` for one installation; the ACL
(`mosquitto-acl.conf`) needs no filling, since its ``pattern`` lines use the login name.
"""
