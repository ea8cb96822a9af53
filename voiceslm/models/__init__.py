"""Model catalog and store: what voiceslm can run, and where it is installed.

`ModelStore(root).require(name)` gives an installed model's directory (or
raises ModelMissingError naming the install command); `.entry(name)` its
catalog entry. Installing lives in `voiceslm.models.install`, conversion of
language models in `voiceslm.models.convert` (run as a child process).
"""

from voiceslm.models.catalog import CATALOG, CatalogEntry
from voiceslm.models.store import ModelStatus, ModelStore

__all__ = ["CATALOG", "CatalogEntry", "ModelStatus", "ModelStore"]
