"""Pure rules of notice-and-takedown: no I/O, no framework, time passed in as an argument."""
