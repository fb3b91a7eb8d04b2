"""When paperwire works: whose digest is due, one tick of fetch-and-send, the lock, the daemon."""
