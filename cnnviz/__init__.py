"""cnnviz backend: operations, step data for animations, figures, models and data (no UI)."""
