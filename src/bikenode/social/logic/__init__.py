"""Social's pure rules: mentions, comment text, follow decisions. No I/O."""
