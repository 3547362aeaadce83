"""The learned layer's packaged weights (labeler_model.npz, written by tools/train_labeler.py)."""
