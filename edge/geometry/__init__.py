"""Array, camera and device-profile geometry, loaded from `hardware/` and validated.

Everything that turns a direction into a pixel or a delay reads it from here, so a device,
a replay and the simulator agree on where each microphone and the lens are.
"""

from edge.geometry.arrays import ArrayGeometry, list_arrays, load_array
from edge.geometry.camera import Camera, direction_to_unit, unit_to_direction
from edge.geometry.profiles import DeviceProfile, Mount, list_profiles, load_profile

__all__ = [
    "ArrayGeometry",
    "Camera",
    "DeviceProfile",
    "Mount",
    "direction_to_unit",
    "list_arrays",
    "list_profiles",
    "load_array",
    "load_profile",
    "unit_to_direction",
]
