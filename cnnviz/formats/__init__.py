"""Micrograph file formats behind cnnviz.imageio: MRC, DM3/DM4 and TIFF metadata."""
