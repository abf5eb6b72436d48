"""The analysis loop's matrix products run on one thread, as the loop is sized for one core.

Why: its products are small (64 microphones by a few thousand grid points, a dozen bins), and
the OpenBLAS that numpy and scipy ship spreads each of them over every core by default. Its
threads then wait for one another, spinning, and the more so while anything else runs. On a
shared 2-core machine, `honk-edge replay` of a 20 s, 64-channel scene took, idle, the same wall
time with two threads as with one (2.5 s) for 3.7 s of CPU time against 2.4 s; with a scene
rendering on the other core, 7.8 s against 4.3 s of wall time. The events are the same. On a
node the other cores belong to capture, the camera, evidence and MQTT; `honk-edge bench`
measures the loop on one thread.
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits


def one_blas_thread() -> threadpool_limits:
    """A context manager that holds numpy's and scipy's BLAS to one thread until it exits.

    Both libraries are imported first: threadpoolctl limits only the BLAS copies already loaded,
    and scipy carries its own, which a later import would bring in unlimited.
    """
    import numpy  # noqa: F401
    import scipy.linalg  # noqa: F401

    return threadpool_limits(limits=1, user_api="blas")
