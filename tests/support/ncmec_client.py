"""The `ncmec-cybertip` package (a typed CyberTipline client no one here wrote), on Python 3.11.

The package declares Python >= 3.13 only because one private method uses a PEP 695 generic
signature (`def _parse[T: ...](...)`), which 3.11 cannot parse. Everything else runs on 3.11.
On 3.13 it is imported as is; on older Pythons `client.py` of the installed, unmodified package
is compiled with that one signature written the pre-3.12 way (`def _parse(`; its annotations
are strings under `from __future__ import annotations`, so nothing else changes), then the
package is imported normally. scripts/setup installs it; a missing package fails the tests.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

GENERIC = "def _parse[T: ReportResponse | ReportDoneResponse]("


def load() -> ModuleType:
    if sys.version_info >= (3, 12) or "ncmec_cybertip.client" in sys.modules:
        return importlib.import_module("ncmec_cybertip")
    spec = importlib.util.find_spec("ncmec_cybertip")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("ncmec-cybertip is not installed: run scripts/setup")
    folder = next(iter(spec.submodule_search_locations))
    source = Path(folder, "client.py").read_text(encoding="utf-8")
    if GENERIC not in source:
        raise RuntimeError(
            "ncmec-cybertip's client.py changed: revisit tests/support/ncmec_client.py"
        )
    package = importlib.util.module_from_spec(spec)
    # Register the package first so `client.py`'s relative imports resolve, then the client.
    sys.modules["ncmec_cybertip"] = package
    client = ModuleType("ncmec_cybertip.client")
    client.__file__ = f"{folder}/client.py"
    client.__package__ = "ncmec_cybertip"
    sys.modules["ncmec_cybertip.client"] = client
    code = compile(source.replace(GENERIC, "def _parse("), client.__file__, "exec")
    exec(code, client.__dict__)
    assert spec.loader is not None
    spec.loader.exec_module(package)
    return package
