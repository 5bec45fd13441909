"""jug subcommands (the jug-cli distribution)."""
