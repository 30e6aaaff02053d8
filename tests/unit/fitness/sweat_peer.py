"""sweatpy's power-duration and W' balance modules, loaded from their files, or None.

sweat 0.25 pins pydantic<2 and pandas<2, so it is installed with `pip install --no-deps` and
its package __init__ (which imports its Strava client) is never run; only these modules are.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

INSTALL_HINT = "sweatpy is not installed: pip install --no-deps sweat==0.25.0 pandas scikit-learn"


def load(relative_path: str) -> ModuleType | None:
    """The sweat module at `relative_path` (e.g. "metrics/core.py"), or None if unavailable."""
    spec = importlib.util.find_spec("sweat")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / relative_path
    module_spec = importlib.util.spec_from_file_location(f"sweat_peer_{path.stem}", path)
    if module_spec is None or module_spec.loader is None:
        return None
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except ImportError:
        return None
    return module
