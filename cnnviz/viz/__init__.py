"""Figure builders: colours, animations, grids, still figures, lab and LeNet figures, projector."""
