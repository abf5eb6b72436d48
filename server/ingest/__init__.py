"""Ingest: MQTT messages from devices → verified rows and media, or quarantine; acks after commit.

- `topics`: the v1 topic names.
- `evidence`: verify one evidence payload and store it (or quarantine it); no MQTT inside.
- `status`: record a device's retained status and heartbeats.
- `worker`: the paho-mqtt client that feeds messages to those and publishes the acks.
"""
