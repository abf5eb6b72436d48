"""The analysis loop's BLAS runs on one thread: every copy loaded, scipy's included."""

import json
import os
import subprocess
import sys

import pytest

# A fresh interpreter, so that nothing but the helper has loaded numpy or scipy: the helper must
# bring in scipy's own BLAS before limiting, or a later import would leave that copy unlimited.
_PROBE = """
import json
from edge.analysis.one_core import one_blas_thread
from threadpoolctl import threadpool_info

def blas():
    return sorted((i["filepath"], i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas")

with one_blas_thread():
    inside = blas()
    import scipy.linalg  # already loaded: no copy may appear with its own threads
    inside_after_import = blas()
print(json.dumps({"inside": inside, "inside_after_import": inside_after_import, "after": blas()}))
"""


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: BLAS has a single thread anyway")
def test_every_blas_copy_has_one_thread_inside_and_its_own_count_after():
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2"}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True, timeout=120
    )
    seen = json.loads(out.stdout)
    inside, after = seen["inside"], seen["after"]
    assert len(inside) >= 2  # numpy's and scipy's copies
    assert seen["inside_after_import"] == inside
    assert all(n == 1 for _, n in inside)
    assert [path for path, _ in after] == [path for path, _ in inside]
    assert all(n == 2 for _, n in after)
