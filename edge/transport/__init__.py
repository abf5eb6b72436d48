"""Getting evidence off the pole: durable outbox, MQTT publisher, heartbeat and remote config.

`messages` (topics, ack codec) is shared with the server; the rest is edge-only.
"""
