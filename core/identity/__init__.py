"""Pure identity parsing: raw text and ids -> canonical identity. Never raises on user input."""
