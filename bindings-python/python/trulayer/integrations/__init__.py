"""Provider integrations. Each module loads only when its instrument_* function is used."""
