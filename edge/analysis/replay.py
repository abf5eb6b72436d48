"""Run a scene through the analysis exactly as the live node would, block by block."""

from __future__ import annotations

from edge.analysis.analyzer import Analyzer
from edge.analysis.config import AnalysisConfig
from edge.analysis.events import HornEvent
from edge.errors import SceneError
from edge.geometry.profiles import Mount
from edge.scene import Scene
from edge.sources.scene import SceneSource


def scene_mount(scene: Scene) -> Mount | None:
    """The mount from scene.json's optional "mount" field ({height_m, tilt_deg, yaw_deg}), if present."""
    raw = scene.extra.get("mount")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise SceneError("scene.json: 'mount' must be an object with height_m, tilt_deg, yaw_deg")
    try:
        return Mount(**{k: float(v) for k, v in raw.items() if k in ("height_m", "tilt_deg", "yaw_deg")})
    except (TypeError, ValueError) as exc:
        raise SceneError(f"scene.json: 'mount' values must be numbers ({exc})") from None


def analyzer_for_scene(scene: Scene, config: AnalysisConfig) -> Analyzer:
    """The analyzer for a scene's geometry; a speed of sound recorded in the scene (temperature)
    replaces the default one unless the configuration set its own."""
    c = scene.extra.get("speed_of_sound_mps")
    if isinstance(c, int | float) and "speed_of_sound" not in config.localizer.model_fields_set:
        config = config.model_copy(deep=True)
        config.localizer.speed_of_sound = float(c)
    return Analyzer(
        config,
        scene.positions_m,
        scene.sample_rate,
        camera=scene.camera,
        mount=scene_mount(scene),
        full_scale_pa=scene.full_scale_pa,
    )


def replay_scene(scene: Scene, config: AnalysisConfig, block_size: int = 2400) -> list[HornEvent]:
    """All horn events of the scene, in the order a live node would have closed them."""
    analyzer = analyzer_for_scene(scene, config)
    events: list[HornEvent] = []
    with SceneSource(scene, block_size) as source:
        for start, block in source:
            events.extend(analyzer.feed(block, start))
    events.extend(analyzer.flush())
    return events
