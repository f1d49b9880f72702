"""The chapter's teaching material beyond ops: step data, matrices, presets, snippets, formulas."""
