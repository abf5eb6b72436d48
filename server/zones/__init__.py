"""No-honk zones: the zones TOML file, loading it into the database, and enforcement hours.

`example_zones.toml` beside this module is example data (22 zones of a Shenzhen-like city),
marked ``example = true``; a deployment writes its own file with the same layout.
"""

from server.zones.hours import is_enforced
from server.zones.loader import EXAMPLE_ZONES, ZoneFile, load_zone_file, store_zones

__all__ = ["EXAMPLE_ZONES", "ZoneFile", "is_enforced", "load_zone_file", "store_zones"]
