"""IPv6 above IPv6CP, over one session: the subscriber's SLAAC (host.py) and the AC's
Router Advertisements (router.py). Sans-IO like the rest: packets in, packets out, a deadline."""
