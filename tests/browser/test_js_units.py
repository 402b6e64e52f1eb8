"""The front end's pure modules (document model, particle store) under Node's test runner."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).absolute().parents[2]


def test_the_javascript_unit_tests_pass():
    node = shutil.which("node")
    assert node, "Node.js is needed for the front end (npm installs its libraries)"
    done = subprocess.run(
        [node, "--test", "tests/browser/js/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout
    assert "# pass 0" not in done.stdout
