"""Result stores for jug (the jug-backends distribution)."""
