"""Kernel lab backend: kernel presets, filtering, display, samples, kernel learning, buffers."""
