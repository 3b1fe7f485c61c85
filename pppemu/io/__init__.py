"""The only place that touches sockets, devices and clocks."""
