"""A minimal edge node for the kill -9 test: outbox + publisher, optionally submitting new bundles.

Run as a separate process so the test can SIGKILL it between the outbox write and the ack.
Prints `submitted N` once its bundles are durably in the outbox; with --until-empty it exits 0
as soon as the server has acked everything.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from transport_support import make_test_bundle

from edge.evidence.keys import load_or_create_key
from edge.transport.outbox import Outbox
from edge.transport.publisher import MqttSettings, Publisher


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--device", required=True)
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--key", type=Path, required=True)
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--protocol", default="5")
    ap.add_argument("--until-empty", action="store_true")
    args = ap.parse_args()
    key = load_or_create_key(args.key)
    outbox = Outbox(args.db, quota_bytes=50_000_000)
    settings = MqttSettings(
        port=args.port, protocol=args.protocol, reconnect_min_s=0.1, reconnect_max_s=0.5, max_in_flight=2
    )
    publisher = Publisher(args.device, settings, outbox)
    publisher.start()
    for n in range(args.count):
        evidence_id, payload = make_test_bundle(key, args.device, n)
        publisher.submit(evidence_id, payload)
    print(f"submitted {args.count}", flush=True)
    while True:
        if args.until_empty and outbox.stats().pending == 0:
            publisher.stop()
            return 0
        time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main())
