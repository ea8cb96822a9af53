"""voiceslm: offline, real-time voice translator and voice assistant."""

__version__ = "0.1.0"

import os as _os

# onnxruntime (under Piper and Silero VAD) sends usage events from native code
# unless told not to; voiceslm promises that nothing leaves the device.
_os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
