"""One module per capability family; each exports param models and handler functions."""
