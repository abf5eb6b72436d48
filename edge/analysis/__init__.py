"""The acoustic core: streaming STFT, horn detection, localization on the focus grid, tracking."""
