"""Pure domain: what is true about cards, prices and alerts. No I/O frameworks here."""
