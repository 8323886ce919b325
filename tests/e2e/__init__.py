"""End-to-end tests: the simulator gateway and a real Home Assistant process, driven as clients."""
