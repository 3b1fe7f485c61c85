"""PPPoE (RFC 2516) on top of the PPP engine: discovery, the endpoint that demultiplexes, the client and AC roles."""
