"""The PPP engine, the same for both ends: the RFC 1661 automaton, LCP, IPCP, IPv6CP, CHAP/PAP, one PPP session."""
