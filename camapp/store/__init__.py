"""The model store: a catalog of known models and a folder of installed ones.

Weights live in the user data dir (or `CAMAPP_MODEL_DIR`), never in the project. Names resolve
through the catalog; any `.tflite` path can be used directly too.
"""

from camapp.store.catalog import Catalog, ModelEntry, load_catalog
from camapp.store.paths import model_dir
from camapp.store.resolve import resolve_model

__all__ = ["Catalog", "ModelEntry", "load_catalog", "model_dir", "resolve_model"]
