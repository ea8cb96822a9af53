"""The engines: synchronous model wrappers behind small interfaces, the set that loads
them once, and the worker threads they run on."""
