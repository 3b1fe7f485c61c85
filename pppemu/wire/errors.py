class DecodeError(ValueError):
    """Bytes that do not form a valid frame or packet of the expected kind."""
