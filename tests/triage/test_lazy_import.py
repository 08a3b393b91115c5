"""Importing triage (and the CLI that registers it) does not load scikit-learn.

The desk imports these before its first frame; the heavy import must wait until a
model is trained or read, which the desk does in a thread.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from supportdesk.triage import TriageModel

HEAVY = ("sklearn", "numpy", "scipy")

CHILD = f"""
import sys
import supportdesk.cli
import supportdesk.triage
import supportdesk.rules.quick_answers
from supportdesk.triage import guess

assert guess("I lost my phone").source == "keywords"  # the fallback needs no model
loaded = [m for m in {HEAVY!r} if m in sys.modules]
assert not loaded, loaded
supportdesk.triage.classify("I lost my phone")
assert "sklearn" in sys.modules  # and the model does load it, when asked
print("ok")
"""


def test_scikit_learn_loads_only_when_the_model_is_asked_for(
    triage_cache_base: Path, triage_model: TriageModel
) -> None:
    """The session model is in the cache, so the child reads it rather than training."""
    env = {**os.environ, "SUPPORTDESK_CACHE_DIR": str(triage_cache_base)}
    result = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
