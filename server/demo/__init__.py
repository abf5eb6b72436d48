"""`honk-server demo`: the whole system on one machine, for a newcomer's first look."""
