"""Pure segment logic: geometry, the candidate grid and the effort matcher (no I/O)."""
