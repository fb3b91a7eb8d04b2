"""One module per source; each turns responses into Papers, nothing more."""
