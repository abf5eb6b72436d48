"""The horn's spectrogram ("voiceprint") as a labelled PNG.

A horn shows as a stack of harmonics over its duration; a siren sweeps, a beeper pulses. The
image covers the whole clip (3 s either side), so the reviewer sees the horn stand out of the
traffic before and after it, with the event's start and end marked.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy import signal as sps

from edge.evidence import drawing

PLOT_W, PLOT_H = 900, 340
LEFT, TOP, RIGHT, BOTTOM = 64, 40, 110, 52


def render_spectrogram(
    audio: np.ndarray,
    sample_rate: int,
    clip_start_s: float,
    marks_s: tuple[float, float] | None,
    title: str,
    max_hz: float = 8000.0,
    range_db: float = 70.0,
) -> np.ndarray:
    """BGR image: time (s on the stream clock) across, frequency (kHz) up, level in dB re the loudest bin."""
    nper = int(2 ** np.ceil(np.log2(max(sample_rate * 0.04, 64))))
    # Half a window of zeros each side puts the first and last frames' centres on the clip's ends,
    # so stretching the frames over the plot keeps the time axis (and the horn marks) true.
    padded = np.pad(audio.astype(np.float64), nper // 2)
    freqs, _, power = sps.spectrogram(
        padded, fs=sample_rate, nperseg=nper, noverlap=nper * 3 // 4, window="hann"
    )
    top_hz = min(max_hz, sample_rate / 2)
    keep = freqs <= top_hz
    db = 10 * np.log10(np.maximum(power[keep], 1e-20))
    db -= db.max() if db.size else 0.0
    canvas = np.full((TOP + PLOT_H + BOTTOM, LEFT + PLOT_W + RIGHT, 3), 255, np.uint8)
    if db.size:
        levels = ((db + range_db) / range_db).astype(np.float32)
        plot = cv2.resize(levels[::-1], (PLOT_W, PLOT_H), interpolation=cv2.INTER_LINEAR)
        canvas[TOP : TOP + PLOT_H, LEFT : LEFT + PLOT_W] = drawing.colorize(plot, cv2.COLORMAP_INFERNO)
    duration = len(audio) / sample_rate
    t_lo, t_hi = clip_start_s, clip_start_s + duration

    def x_of(t: float) -> int:
        return round(LEFT + (t - t_lo) / max(duration, 1e-9) * PLOT_W)

    def y_of(hz: float) -> int:
        return round(TOP + PLOT_H - hz / top_hz * PLOT_H)

    texts: list[tuple[tuple[int, int], str, int, tuple[int, int, int]]] = [((LEFT, 8), title, 18, (0, 0, 0))]
    if marks_s is not None:
        for t, label in zip(marks_s, ("horn start", "horn end"), strict=True):
            x = x_of(t)
            for y in range(TOP, TOP + PLOT_H, 12):
                cv2.line(canvas, (x, y), (x, min(y + 6, TOP + PLOT_H)), (255, 255, 255), 1)
            texts.append(((x + 3, TOP + 2), label, 13, (255, 255, 255)))
    cv2.rectangle(canvas, (LEFT, TOP), (LEFT + PLOT_W, TOP + PLOT_H), (0, 0, 0), 1)
    for t in drawing.nice_ticks(t_lo, t_hi, 10):
        x = x_of(t)
        cv2.line(canvas, (x, TOP + PLOT_H), (x, TOP + PLOT_H + 5), (0, 0, 0), 1)
        texts.append(((x - 12, TOP + PLOT_H + 8), f"{t:g}", 13, (0, 0, 0)))
    for khz in drawing.nice_ticks(0, top_hz / 1000, 8):
        y = y_of(khz * 1000)
        cv2.line(canvas, (LEFT - 5, y), (LEFT, y), (0, 0, 0), 1)
        texts.append(((LEFT - 10 - drawing.text_width(f"{khz:g}", 13), y - 8), f"{khz:g}", 13, (0, 0, 0)))
    texts.append(((LEFT + PLOT_W // 2 - 90, TOP + PLOT_H + 28), "time (s, stream clock)", 15, (0, 0, 0)))
    texts.append(((4, TOP - 18), "kHz", 14, (0, 0, 0)))
    bar_x = LEFT + PLOT_W + 24
    canvas[TOP : TOP + PLOT_H, bar_x : bar_x + 20] = drawing.colorize(
        np.linspace(1, 0, PLOT_H)[:, None].repeat(20, axis=1), cv2.COLORMAP_INFERNO
    )
    for d in drawing.nice_ticks(-range_db, 0, 7):
        y = round(TOP + (-d / range_db) * PLOT_H)
        texts.append(((bar_x + 26, y - 8), f"{d:g} dB", 13, (0, 0, 0)))
    return drawing.put_texts(canvas, texts)
