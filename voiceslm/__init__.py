"""voiceslm: offline, real-time voice translator and voice assistant."""

__version__ = "0.1.0"
