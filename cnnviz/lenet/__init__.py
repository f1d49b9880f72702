"""LeNet: the model and its variants, the data sets, generated shapes, training, inspection."""
