"""jug shell (the jug-shell distribution)."""
