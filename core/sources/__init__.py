"""Price and catalog sources: one module each, parsing kept pure, HTTP through core.sources.http."""
