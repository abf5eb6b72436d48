"""systemd's notify protocol (READY=1, WATCHDOG=1, STOPPING=1) over $NOTIFY_SOCKET, no dependency.

A datagram to the socket systemd names is the whole protocol; under `Type=notify` with
`WatchdogSec=`, a node that stops sending WATCHDOG=1 is killed and restarted.
"""

from __future__ import annotations

import os
import socket


class SystemdNotifier:
    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        path = env.get("NOTIFY_SOCKET", "")
        self.address = "\0" + path[1:] if path.startswith("@") else path  # '@' = abstract namespace
        usec = env.get("WATCHDOG_USEC", "")
        self.watchdog_s = int(usec) / 1e6 if usec.isdigit() and int(usec) > 0 else None

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def notify(self, message: str) -> bool:
        """Send one state line; False when not run by systemd, the socket is gone or its queue is full.

        Never waits: a receiver that stops reading fills the socket's small queue (ten datagrams
        by default), and a blocking send would then hang the analysis loop, or the shutdown on
        STOPPING=1, forever. A dropped watchdog ping is repeated a third of a period later.
        """
        if not self.address:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(message.encode(), socket.MSG_DONTWAIT, self.address)
            return True
        except OSError:
            return False
