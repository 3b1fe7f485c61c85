"""Helpers for the tests, the benchmarks and the lab; pppemu's own code never imports them.

- `pppemu.testing.pair`: a client role and an AC role piped into each other in
  memory, with a virtual clock (no sockets, no root);
- `pppemu.testing.lab`: two network namespaces joined by a veth pair, with pppemu
  and other programs started in them (needs root);
- `pppemu.testing.machine`: one line about the machine a benchmark ran on.
"""
