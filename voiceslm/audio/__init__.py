"""Audio in and out: files, devices, the microphone and the speaker, and their supervision."""
