"""Micrograph file formats behind cnnviz.imageio: limits, values, PNG/JPEG, TIFF, MRC, DM."""
