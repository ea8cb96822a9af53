"""Measuring quality (`voiceslm eval`) and latency (`voiceslm bench`)."""
