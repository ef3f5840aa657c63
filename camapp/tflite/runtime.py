"""Which TFLite interpreter runs the model: LiteRT if installed, else TensorFlow's.

LiteRT imports in a fraction of a second and weighs ~60 MB; TensorFlow weighs over a GB but has
Windows wheels. `CAMAPP_RUNTIME=litert|tensorflow` forces one (CI tests both).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from camapp.errors import CamappError

RUNTIMES = ("litert", "tensorflow")


@dataclass(frozen=True)
class Runtime:
    name: str
    interpreter_cls: Any
    load_delegate: Any
    schema: ModuleType


def _litert() -> Runtime:
    from ai_edge_litert import interpreter, schema_py_generated

    return Runtime("litert", interpreter.Interpreter, interpreter.load_delegate, schema_py_generated)


def _tensorflow() -> Runtime:
    import tensorflow as tf

    # camapp picks TF's interpreter only where LiteRT has no wheels; its nag is not the user's to fix.
    warnings.filterwarnings("ignore", message=r"(?s).*tf\.lite\.Interpreter is deprecated")
    from tensorflow.lite.python import schema_py_generated

    return Runtime("tensorflow", tf.lite.Interpreter, tf.lite.experimental.load_delegate, schema_py_generated)


_LOADERS = {"litert": _litert, "tensorflow": _tensorflow}
_cache: dict[str, Runtime] = {}


def get_runtime(name: str | None = None) -> Runtime:
    """The requested runtime, or the first importable one; a clear error if none is."""
    name = name or os.environ.get("CAMAPP_RUNTIME", "").strip().lower() or None  # as an env file sets it
    if name is not None and name not in _LOADERS:
        raise CamappError(f"unknown runtime {name!r}: use one of {', '.join(RUNTIMES)}")
    for candidate in [name] if name else list(RUNTIMES):
        if candidate in _cache:
            return _cache[candidate]
        try:
            rt = _LOADERS[candidate]()
        except ImportError:
            continue
        _cache[candidate] = rt
        return rt
    if name:
        extra = "pip install 'camapp[tensorflow]'" if name == "tensorflow" else "pip install ai-edge-litert"
        raise CamappError(f"runtime {name!r} is not installed: {extra}")
    raise CamappError(
        "no TFLite runtime found: pip install ai-edge-litert (or 'camapp[tensorflow]' on Windows)"
    )
