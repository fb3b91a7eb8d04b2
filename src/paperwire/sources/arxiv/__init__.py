"""arXiv: its feed, listing pages, API and OAI-PMH; its announcement calendar; its fetcher."""
