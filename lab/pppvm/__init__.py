"""A real pppd and rp-pppoe as the other end of pppemu's link: natively or in a small VM."""
