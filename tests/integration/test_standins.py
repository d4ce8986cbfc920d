"""The import-only stand-ins of the integration tests answer only for what is not installed: never for a module of
a package that is really there (an installed `regex` once got a stub for its own internal import)."""

import subprocess
import sys

from tests.helpers.common import ROOT

PROBE = """
import sys
sys.path.insert(0, {tmp!r})
from tests.helpers.pointcept_standins import install
install()
import tqdm                     # our fake, but really installed, tqdm
try:
    import tqdm._speedups       # an optional submodule it does not have: the import must fail
    found = type(sys.modules["tqdm._speedups"]).__name__
except ImportError:
    found = "ImportError"
import pointops                 # not installed anywhere: a stand-in
print(found, type(pointops).__name__)
"""


def test_standins_never_shadow_an_installed_package(tmp_path):
    package = tmp_path / "tqdm"
    package.mkdir()
    (package / "__init__.py").write_text("")
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(tmp=str(tmp_path))], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["ImportError", "StubModule"], proc.stdout
