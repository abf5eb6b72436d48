"""Fill the Mosquitto config template for one installation (also used by the broker tests)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from string import Template

TEMPLATE = Path(__file__).with_name("mosquitto.conf")
ACL_FILE = Path(__file__).with_name("mosquitto-acl.conf")
MAX_PACKET_SIZE = 8 * 1024 * 1024 + 64 * 1024  # an 8 MiB payload plus topic and headers


@dataclass(frozen=True)
class BrokerSettings:
    password_file: str
    tls_ca: str
    tls_cert: str
    tls_key: str
    acl_file: str = str(ACL_FILE)
    data_dir: str = "/var/lib/mosquitto"
    persistence: str = "true"
    tls_port: int = 8883
    tls_bind: str = "0.0.0.0"
    local_port: int = 1883
    max_packet_size: int = MAX_PACKET_SIZE
    log_dest: str = "syslog"
    run_as_user: str = "mosquitto"


def render(settings: BrokerSettings) -> str:
    """The config text; every ${field} of the template must be filled (a missing one raises)."""
    template = Template(TEMPLATE.read_text(encoding="utf-8"))
    return template.substitute({k: str(v) for k, v in asdict(settings).items()})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.deploy.mosquitto_config", description=__doc__)
    parser.add_argument("--out", type=Path, help="write here instead of stdout")
    parser.add_argument("--password-file", required=True)
    parser.add_argument("--tls-ca", required=True)
    parser.add_argument("--tls-cert", required=True)
    parser.add_argument("--tls-key", required=True)
    parser.add_argument("--acl-file", default=str(ACL_FILE))
    parser.add_argument("--data-dir", default="/var/lib/mosquitto")
    parser.add_argument("--tls-port", type=int, default=8883)
    parser.add_argument("--local-port", type=int, default=1883)
    args = parser.parse_args(argv)
    text = render(
        BrokerSettings(
            password_file=args.password_file,
            tls_ca=args.tls_ca,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            acl_file=args.acl_file,
            data_dir=args.data_dir,
            tls_port=args.tls_port,
            local_port=args.local_port,
        )
    )
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
