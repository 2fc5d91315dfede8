"""cleaner: data-quality and deduplication for raw scraped news text."""

__version__ = "0.1.0"
