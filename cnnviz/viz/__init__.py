"""Figure builders: animations, grids, still figures, lab and LeNet figures, projector mode."""
