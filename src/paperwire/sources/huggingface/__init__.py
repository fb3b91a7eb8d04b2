"""Hugging Face's Daily Papers: the API and its page, the featured-day calendar, the fetcher."""
